// Node's ES-module entry: the CommonJS build under an ESM face, so that an app mixing import and
// require shares one copy of its state. Bundlers use dist/esm.
import cjs from "./dist/src/index.js";

export * from "./dist/src/index.js";
export default cjs.default;
