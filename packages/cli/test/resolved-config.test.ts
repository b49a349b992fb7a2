/**
 * config.resolved.json is usable as it is: plugin paths absolute, every plugin default filled in
 * (from each plugin's own options schema), and `flatfit train --config <run>/config.resolved.json`
 * from another working directory runs the same training.
 */
import test from "ava";
import { mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { resolveRunConfig, type TrainConfig } from "@flatfit/cli";
import { runBin, tempDir, writeConfig } from "./helpers";

const fixture = path.join(__dirname, "..", "..", "test", "fixtures", "gradient-noise");
const read = (run: string, f: string) => JSON.parse(readFileSync(path.join(run, f), "utf8"));

test("a relative plugin path is written absolute with the plugin's defaults, and the resolved file reruns the same training from elsewhere", async (t) => {
  const dir = tempDir("flatfit-resolved-");
  const configs = path.join(dir, "configs");
  mkdirSync(configs);
  const use = path.relative(configs, fixture);
  t.true(use.startsWith("../"), use);
  const file = writeConfig(
    configs,
    "noisy.yaml",
    `
model: { name: mlp, hidden: [8] }
data: { name: mnist, trainLimit: 60, testLimit: 20, layout: flat }
plugins: [{ use: ${use}, std: 0.02 }, { use: hero, gamma: 0.05 }]
epochs: 2
batchSize: 20
seed: 4
`,
  );
  const first = path.join(dir, "first");
  const r1 = await runBin(["train", "--config", file, "--out", first, "--quiet"], dir);
  t.is(r1.code, 0, r1.stderr);
  const resolved = read(first, "config.resolved.json") as TrainConfig;
  t.deepEqual(resolved.plugins, [
    { use: fixture, std: 0.02, label: "noise" },
    { use: "hero", h: 0.5, gamma: 0.05, scaling: "elementwise" },
  ]);
  t.is(resolved.name, "noisy", "the default name is written too");

  const elsewhere = path.join(dir, "elsewhere");
  mkdirSync(elsewhere);
  const second = path.join(dir, "second");
  const r2 = await runBin(["train", "--config", path.join(first, "config.resolved.json"), "--out", second, "--quiet"], elsewhere);
  t.is(r2.code, 0, r2.stderr);
  t.notRegex(r2.stderr, /unknown plugin/);
  t.true(readFileSync(path.join(second, "model", "weights.bin")).equals(readFileSync(path.join(first, "model", "weights.bin"))), "the rerun trained differently");
  t.deepEqual(read(second, "config.resolved.json"), resolved, "resolving a resolved config changes nothing");
});

test("resolveRunConfig: model and data paths become absolute, plugin options get their schema's defaults, and it is idempotent", (t) => {
  const base = "/data/project/configs";
  const config: TrainConfig = {
    model: { module: "./model.js", export: "default", options: {} },
    data: { csv: "../tables/iris.csv", header: true, delimiter: ",", testFraction: 0.2, splitSeed: 0, standardize: true, labelNoise: 0 },
    optimizer: { name: "sgd", learningRate: 0.1 },
    plugins: [{ use: "nso" }, { use: "grad-l1", lambda: 0.1 }],
    epochs: 1,
    batchSize: 8,
    seed: 1,
    evaluate: { bits: [], perEpoch: false, batchSize: 256 },
    backend: "auto",
    logLevel: "info",
  };
  const r = resolveRunConfig(config, base, path.join(base, "iris.yaml"));
  t.deepEqual(r.model, { module: "/data/project/configs/model.js", export: "default", options: {} });
  t.is("csv" in r.data && r.data.csv, "/data/project/tables/iris.csv");
  t.deepEqual(r.plugins, [
    { use: "nso", sigma: 0.01, samples: 1, distribution: "gaussian" },
    { use: "grad-l1", lambda: 0.1, from: 0, unit: "epoch" },
  ]);
  t.is(r.name, "iris");
  t.deepEqual(resolveRunConfig(r, "/somewhere/else"), r);
  t.deepEqual(resolveRunConfig({ ...config, model: { path: "saved" } }, base).model, { path: "/data/project/configs/saved" });
});
