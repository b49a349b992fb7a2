// Node's ES-module entry for {use: "rsam"}: the CommonJS build under an ESM face, so that an app
// mixing import and require shares one copy of its state. Bundlers use dist/esm.
import cjs from "./dist/src/rsam.js";

export * from "./dist/src/rsam.js";
export default cjs.default;
