import test from "ava";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

// flatfit-schema lives in @flatfit/core but finds the plugins by package name, so it is
// tested here, where every plugin is a dependency and is built before the tests run.
test("flatfit-schema (a Node program) loads the built-in plugins by package name", (t) => {
  const bin = path.join(path.dirname(require.resolve("@flatfit/core/package.json")), "bin", "flatfit-schema.js");
  const out = execFileSync(process.execPath, [bin], { encoding: "utf8" });
  const text = JSON.stringify(JSON.parse(out));
  t.regex(text, /"gamma"/, "hero's options are in the schema");
  t.regex(text, /"bits"/, "quantize-on-eval's options are in the schema");
});
