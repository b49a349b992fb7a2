// Node's ES-module entry for {use: "asam"}: the CommonJS build under an ESM face, so that an app
// mixing import and require shares one copy of its state. Bundlers use dist/esm.
import cjs from "./dist/src/asam.js";

export * from "./dist/src/asam.js";
export default cjs.default;
