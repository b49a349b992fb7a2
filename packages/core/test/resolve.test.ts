import test from "ava";
import * as path from "node:path";
import { createFlatfit, FlatfitConfigError } from "@flatfit/core";

const fixtures = path.join(__dirname, "..", "..", "test", "fixtures");

test("a plugin path that is not a module is a config error naming plugins[i].use, the path and why", async (t) => {
  const err = await createFlatfit({ plugins: [{ use: "./bad-syntax.yaml" }, { use: "no-such-plugin-xyz" }] }, { cwd: fixtures, logSink: () => {} }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.true(err instanceof FlatfitConfigError);
  const msg = (err as Error).message;
  t.regex(msg, /plugins\[0\]\.use: cannot load "\.\/bad-syntax\.yaml" from .*bad-syntax\.yaml: /);
  // the other plugin's problem is reported with it
  t.regex(msg, /plugins\[1\]\.use: unknown plugin "no-such-plugin-xyz"/);
});
