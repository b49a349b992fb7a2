import test from "ava";
import { FlatfitConfigError } from "@flatfit/core";
import { cliJsonSchema, loadCompareConfig, loadSweepConfig, loadTrainConfig } from "@flatfit/cli";
import { runBin, tempDir, writeConfig } from "./helpers";

const dir = tempDir("flatfit-config-");

async function configError(load: Promise<unknown>): Promise<FlatfitConfigError> {
  const err = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FlatfitConfigError)) throw new Error(`expected a FlatfitConfigError, got ${String(err)}`);
  return err;
}

test("a valid train config resolves with every default filled in", async (t) => {
  const file = writeConfig(dir, "ok.yaml", "model: mlp\ndata: { name: mnist, limit: 100 }\nplugins: [{ use: hero }]\n");
  const { config } = await loadTrainConfig(file);
  t.deepEqual(config.model, { name: "mlp", hidden: [128], activation: "relu", batchNorm: false, dropout: 0 });
  t.deepEqual(config.optimizer, { name: "sgd", learningRate: 0.1 });
  t.is(config.epochs, 5);
  t.is(config.curvature, undefined);
  t.deepEqual(config.evaluate, { bits: [], perEpoch: false, batchSize: 256 });
});

test("CLI fields: an unknown field, a wrong type and a bad nested value each name file, line and field", async (t) => {
  const file = writeConfig(
    dir,
    "run.yaml",
    `
model: { name: cnn, filters: [8, 16] }
data: { name: mnist, limit: 100 }
epoch: 3
optimizer:
  name: sgd
  learningRate: fast
batchSize: 0
`,
  );
  const err = await configError(loadTrainConfig(file));
  t.regex(err.message, /run\.yaml:3:1: unknown field "epoch"; accepted: .*\bepochs\b/);
  t.regex(err.message, /run\.yaml:6:3: optimizer\.learningRate: .*expected number.*\(got "fast"\)/);
  t.regex(err.message, /run\.yaml:7:1: batchSize: batchSize must be ≥ 1 \(got 0\)/);
  t.is(err.issues.length, 3);
});

test("model and data shapes are chosen by their keys, so errors name the field of that shape", async (t) => {
  const file = writeConfig(
    dir,
    "shapes.yaml",
    `
model:
  name: resnet
data:
  name: mnist
  layout: square
`,
  );
  const err = await configError(loadTrainConfig(file));
  t.regex(err.message, /shapes\.yaml:2:3: model: unknown model "resnet"; expected a built-in model \("mlp", "cnn"/);
  t.regex(err.message, /shapes\.yaml:5:3: data\.layout: .*"image".*"flat"/);
});

test("a plugin option out of range is reported by core's schema, at its line in the CLI file", async (t) => {
  const file = writeConfig(
    dir,
    "plugins.yaml",
    `
model: mlp
data: mnist
plugins:
  - use: nso
  - use: hero
    h: 0.5
    gamma: -1
`,
  );
  const err = await configError(loadTrainConfig(file));
  t.is(err.issues.length, 1);
  t.regex(err.message, /plugins\.yaml:7:5: plugins\[1\] \(hero\) option "gamma": .*≥ 0.*\(got -1\)/);
});

test("compare: a method's plugin error names methods[i].plugins[j]; a base plugin error is reported once", async (t) => {
  const file = writeConfig(
    dir,
    "compare.yaml",
    `
model: mlp
data: mnist
plugins:
  - use: curvature
    every: 0
methods:
  - name: plain
    plugins: []
  - name: nso
    plugins:
      - use: nso
        sigma: -0.01
  - name: nso
    plugins: [{ use: herp }]
`,
  );
  const err = await configError(loadCompareConfig(file));
  t.regex(err.message, /compare\.yaml:12:9: methods\[1\]\.plugins\[0\] \(nso\) option "sigma": .*\(got -0\.01\)/);
  t.regex(err.message, /compare\.yaml:13:5: methods\[2\]\.name: method name "nso" is used twice \(also methods\[1\]\)\n/);
  t.regex(err.message, /compare\.yaml:14:\d+: methods\[2\]\.plugins\[0\]\.use: unknown plugin "herp"/);
  t.is(err.issues.filter((i) => /plugins\[0\] \(curvature\) option "every"/.test(i.message)).length, 1);
  t.regex(err.message, /compare\.yaml:5:5: plugins\[0\] \(curvature\) option "every"/);
});

test("compare: an unknown plugin in a method names the method's plugin and what was tried", async (t) => {
  const file = writeConfig(dir, "compare2.yaml", "model: mlp\ndata: mnist\nmethods:\n  - name: a\n    plugins: [{ use: herp }]\n");
  const err = await configError(loadCompareConfig(file));
  t.regex(err.message, /compare2\.yaml:5:\d+: methods\[0\]\.plugins\[0\]\.use: unknown plugin "herp"/);
});

test("sweep: a grid key that is not a path, or points nowhere, is reported at the key's line", async (t) => {
  const file = writeConfig(
    dir,
    "grid.yaml",
    `
model: mlp
data: mnist
plugins: [{ use: hero }]
grid:
  "plugins[0].gamma": [0.1, 1]
  "plugins[3].h": [0.5]
  "plugins[0": [1]
`,
  );
  const err = await configError(loadSweepConfig(file));
  t.regex(err.message, /grid\.yaml:6:3: grid: "plugins\[3\]\.h": the config has no plugins\[3\] to set "h" in/);
  t.regex(err.message, /grid\.yaml:7:3: grid: "plugins\[0" is not a config path/);
});

test("sweep: a grid value a plugin rejects is blamed on its grid key, with the value", async (t) => {
  const file = writeConfig(
    dir,
    "grid2.yaml",
    `
model: mlp
data: mnist
plugins: [{ use: hero }]
grid:
  "optimizer.learningRate": [0.1]
  "plugins[0].gamma": [0.1, -5]
`,
  );
  const err = await configError(loadSweepConfig(file));
  t.is(err.issues.length, 1);
  t.regex(err.message, /grid2\.yaml:6:3: grid "plugins\[0\]\.gamma" = -5: plugins\[0\] \(hero\) option "gamma"/);
});

test("JSON configs: a syntax error names the line; a bad field names its line", async (t) => {
  const bad = writeConfig(dir, "bad.json", '{\n  "model": "mlp",\n  "data": "mnist"\n  "epochs": 2\n}\n');
  t.regex((await configError(loadTrainConfig(bad))).message, /bad\.json:4:\d+: JSON syntax error/);
  const wrong = writeConfig(dir, "wrong.json", '{\n  "model": "mlp",\n  "data": "mnist",\n  "epochs": "two"\n}\n');
  t.regex((await configError(loadTrainConfig(wrong))).message, /wrong\.json:4:3: epochs: .*expected number.*\(got "two"\)/);
});

test("the bin prints config errors to stderr and exits with code 2", async (t) => {
  const file = writeConfig(dir, "bin.yaml", "model: mlp\ndata: mnist\nepochs: -1\n");
  const r = await runBin(["train", "--config", file]);
  t.is(r.code, 2);
  t.regex(r.stderr, /bin\.yaml:3:1: epochs: epochs must be ≥ 1 \(got -1\)/);
  t.is(r.stdout, "");
});

test("the JSON Schema of a compare config includes the built-in plugins' options", (t) => {
  const schema = JSON.stringify(cliJsonSchema("compare"));
  t.regex(schema, /"methods"/);
  t.regex(schema, /"const":"hero"/);
  t.regex(schema, /"gamma"/);
  t.regex(schema, /"labelNoise"/);
});
