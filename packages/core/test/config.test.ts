import test from "ava";
import * as path from "node:path";
import { createFlatfit, FlatfitConfigError, configJsonSchema, z, type FlatfitHooks } from "@flatfit/core";

const fixtures = path.join(__dirname, "..", "..", "test", "fixtures");
const quiet = { logSink: () => {} };

class Probe {
  static id = "probe";
  static options = z.strictObject({
    rate: z.number().min(0).max(1).default(0.5),
    mode: z.enum(["fast", "exact"]).default("fast"),
  });
  apply(_hooks: FlatfitHooks): void {}
}

async function configError(config: unknown): Promise<FlatfitConfigError> {
  const err = await createFlatfit(config as never, quiet).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FlatfitConfigError)) throw new Error(`expected a FlatfitConfigError, got ${String(err)}`);
  return err;
}

test("an unknown plugin names the plugin, what was tried and the built-ins", async (t) => {
  const err = await configError({ plugins: [{ use: "herp" }] });
  t.regex(err.message, /plugins\[0\]\.use: unknown plugin "herp"/);
  t.regex(err.message, /@flatfit\/plugin-herp/);
  t.regex(err.message, /Built-in plugins: hero, nso, seht, grad-l1, pertopt/);
});

test("an unknown option names the plugin, the option and the accepted options", async (t) => {
  const err = await configError({ plugins: [{ use: Probe, rat: 0.1 }] });
  t.regex(err.message, /plugins\[0\] \(probe\): unknown option "rat"; accepted: rate, mode/);
  t.deepEqual(err.issues[0].path, ["plugins", 0, "rat"]);
});

test("a wrong type names the field, the expected type and what was given", async (t) => {
  const err = await configError({ plugins: [{ use: Probe, rate: "high" }] });
  t.regex(err.message, /plugins\[0\] \(probe\) option "rate": .*expected number.*"high"/);
});

test("an out-of-range value names the bound and the value", async (t) => {
  const err = await configError({ plugins: [{ use: Probe, rate: 2 }] });
  t.regex(err.message, /option "rate": .*<=1.*\(got 2\)/);
});

test("an enum names the accepted values", async (t) => {
  const err = await configError({ plugins: [{ use: Probe, mode: "slow" }] });
  t.regex(err.message, /option "mode": .*"fast".*"exact"/);
});

test("core fields are validated too, and all problems are reported at once", async (t) => {
  const err = await configError({ seed: -1, logLevel: "loud", plugins: [{ use: Probe, rate: 5 }], extra: true });
  t.true(err.issues.length >= 3);
  t.regex(err.message, /unknown option "extra"/);
  t.regex(err.message, /logLevel/);
  t.regex(err.message, /"silent"/);
});

test("a JSON config file with a syntax error names the file and the line", async (t) => {
  const err = await configError(path.join(fixtures, "bad-syntax.json"));
  t.regex(err.message, /bad-syntax\.json:5:\d+: JSON syntax error/);
});

test("a YAML config file with a syntax error names the line", async (t) => {
  const err = await configError(path.join(fixtures, "bad-syntax.yaml"));
  t.regex(err.message, /bad-syntax\.yaml:\d+:\d+: YAML syntax error/);
  t.is(err.issues[0].line !== undefined && err.issues[0].line >= 4, true);
});

test("a bad option in a config file names the file, the line of the field, plugin and bound", async (t) => {
  const err = await configError(path.join(fixtures, "bad-option.yaml"));
  t.regex(err.message, /bad-option\.yaml:4:5: plugins\[0\] \(scale\) option "factor": .*>0.*\(got -3\)/);
});

test("a plugin loads by path relative to the config file, with defaults filled in", async (t) => {
  const ff = await createFlatfit(path.join(fixtures, "good.json"), quiet);
  t.deepEqual(ff.pluginIds, ["scale"]);
  t.is((ff.plugin(0) as unknown as { factor: number }).factor, 2);
  t.is(ff.config.seed, 3);
  ff.dispose();
});

test("the generated JSON Schema describes core fields and each plugin's options", (t) => {
  const schema = configJsonSchema({ probe: Probe }) as { properties: Record<string, any> };
  t.truthy(schema.properties.seed);
  t.deepEqual(schema.properties.logLevel.enum, ["silent", "error", "warn", "info", "debug"]);
  const items = JSON.stringify(schema.properties.plugins.items);
  t.regex(items, /"const":"probe"/);
  t.regex(items, /"rate"/);
  t.regex(items, /"maximum":1/);
});
