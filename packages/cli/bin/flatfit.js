#!/usr/bin/env node
// Committed shim: it exists at install time (so npm links the bin); the command itself is built into dist/.
require("../dist/src/bin.js");
