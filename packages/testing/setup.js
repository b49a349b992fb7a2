// AVA `require` entry of every package's tests ("@flatfit/testing/setup.js"): see src/setup.ts.
module.exports = require("./dist/src/setup.js");
