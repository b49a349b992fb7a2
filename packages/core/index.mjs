// Node's ES-module entry: the CommonJS build (with the Node host) under an ESM face, so that an
// app mixing import and require shares one copy of flatfit's state. Bundlers use dist/esm.
export * from "./dist/src/node.js";
