// Node's ES-module face of the Node-only entry (fileHandler): the CommonJS build, one copy of its state.
export * from "./dist/src/node.js";
