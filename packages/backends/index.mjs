// Node's ES-module entry: the CommonJS build under an ESM face, so that an app mixing import and
// require shares one copy of its state. Bundlers use dist/esm.
export * from "./dist/src/index.js";
