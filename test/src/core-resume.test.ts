/**
 * Save and resume. flatfit's state (every plugin's `getState`, the step count, the random stream's
 * position) rides in the saved optimizer config, so that
 *   train k steps → save → load → attach → train n − k  ≡  n steps uninterrupted, bit for bit,
 * for every built-in plugin (random and step-scheduled ones included) and a third-party random
 * plugin, on SGD and on Adam; and the saved model loads in a process that has no flatfit.
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type FlatfitConfig, type FlatfitHooks, type PluginSpec } from "@flatfit/core";
import { blobs, mlp, saveToMemory, weightsOf } from "@flatfit/testing";
import { GradientEma } from "./probes";

const quiet = { logSink: () => {} };

/** A third-party plugin that adds seeded noise to the gradient (random, so resume must restore the stream). */
class GradientNoise {
  static readonly id = "gradient-noise";
  apply(hooks: FlatfitHooks): void {
    hooks.afterGradient.tap("gradient-noise", (grads, ctx) => {
      const out: tf.NamedTensorMap = {};
      for (const [name, g] of Object.entries(grads)) out[name] = tf.add(g, ctx.random.normal(g.shape, 0.05));
      return out;
    });
  }
}

const PLUGINS: Array<[string, PluginSpec[]]> = [
  ["hero", [{ use: "hero", h: 0.2 }]],
  ["nso", [{ use: "nso", sigma: 0.05 }]],
  ["seht (every 3rd step)", [{ use: "seht", lambda: 0.01, every: 3 }]],
  ["grad-l1 (from step 5)", [{ use: "grad-l1", lambda: 0.05, from: 5, unit: "step" }]],
  ["pertopt", [{ use: "pertopt", gamma: 1, beta2: 1 }]],
  ["a third-party random plugin", [{ use: GradientNoise }]],
  ["gradient-ema (state)", [{ use: GradientEma }]],
  ["nso then grad-l1", [{ use: "nso", sigma: 0.05 }, { use: "grad-l1", lambda: 0.05, unit: "step" }]],
];
const OPTIMIZERS: Array<[string, () => tf.Optimizer]> = [
  ["SGD", () => tf.train.sgd(0.1)],
  ["Adam", () => tf.train.adam(0.02)],
];

for (const [pname, plugins] of PLUGINS) {
  for (const [oname, makeOptimizer] of OPTIMIZERS) {
    test(`resume is exact: ${pname} on ${oname} (4 + 4 steps ≡ 8 steps)`, async (t) => {
      const { x, y } = blobs(64);
      const config: FlatfitConfig = { seed: 9, plugins };
      const args = { batchSize: 16, shuffle: false, verbose: 0 as const };
      const compileWith = async (m: tf.LayersModel) => {
        const ff = await createFlatfit(config, quiet);
        m.compile({ optimizer: makeOptimizer(), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
        ff.attach(m);
        return ff;
      };
      const straight = mlp(3);
      const ff1 = await compileWith(straight);
      await straight.fit(x, y, { ...args, epochs: 2 });

      const first = mlp(3);
      const ff2 = await compileWith(first);
      await first.fit(x, y, { ...args, epochs: 1 });
      const artifacts = await saveToMemory(first);
      const resumed = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      const ff3 = await createFlatfit(config, quiet);
      ff3.attach(resumed);
      await resumed.fit(x, y, { ...args, epochs: 2, initialEpoch: 1 });
      t.deepEqual(weightsOf(resumed), weightsOf(straight));
      t.is(resumed.optimizer.iterations, straight.optimizer.iterations);
      for (const f of [ff1, ff2, ff3]) f.dispose();
      for (const m of [straight, first, resumed]) m.dispose();
      tf.dispose([x, y]);
    });
  }
}

test("the saved optimizer is the inner one, with flatfit's state in its config; without that state the continuation differs", async (t) => {
  const { x, y } = blobs(64);
  const config: FlatfitConfig = { seed: 1, plugins: [{ use: GradientEma }] };
  const m = mlp(3);
  const ff = await createFlatfit(config, quiet);
  m.compile({ optimizer: tf.train.adam(0.02), loss: "categoricalCrossentropy" });
  ff.attach(m);
  await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
  const artifacts = await saveToMemory(m);
  const opt = (artifacts.trainingConfig as unknown as { optimizer_config: { class_name: string; config: Record<string, unknown> } }).optimizer_config;
  t.is(opt.class_name, "Adam");
  const saved = opt.config.flatfit as { weights: Record<string, unknown> };
  t.true(Object.keys(saved.weights).some((n) => n.startsWith("gradient-ema#0/")), "plugin state is in the optimizer config");
  t.true("core/step" in saved.weights && "core/random" in saved.weights, "the step count and the random stream are saved");
  t.false((artifacts.weightSpecs ?? []).some((s) => s.name.startsWith("__flatfit__")), "nothing of flatfit's among the optimizer weights");

  const withState = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  (await createFlatfit(config, quiet)).attach(withState);
  const withoutState = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const other = await createFlatfit(config, quiet);
  withoutState.compile({ optimizer: other.wrap(tf.train.adam(0.02)), loss: "categoricalCrossentropy" });
  await withState.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
  await withoutState.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
  t.notDeepEqual(weightsOf(withoutState), weightsOf(withState));
});

test("a model saved with includeOptimizer loads, with its inner optimizer, in a process without flatfit", async (t) => {
  const { x, y } = blobs(32);
  const m = mlp(4);
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "pertopt" }] }, quiet);
  m.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
  ff.attach(m);
  await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
  const a = await saveToMemory(m);
  const dir = mkdtempSync(path.join(tmpdir(), "flatfit-plain-"));
  const file = path.join(dir, "model.json");
  writeFileSync(file, JSON.stringify({ ...a, weightData: Buffer.from(a.weightData as ArrayBuffer).toString("base64") }));
  // A program that only knows @tensorflow/tfjs: load, check the optimizer, train one more epoch.
  const program = `
    const tf = require("@tensorflow/tfjs");
    const a = JSON.parse(require("fs").readFileSync(${JSON.stringify(file)}, "utf8"));
    const b = Buffer.from(a.weightData, "base64");
    a.weightData = b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
    tf.loadLayersModel(tf.io.fromMemory(a)).then(async (m) => {
      const x = tf.randomNormal([8, 4]), y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], "int32"), 3);
      const h = await m.fit(x, y, { epochs: 1, verbose: 0 });
      console.log(JSON.stringify({ optimizer: m.optimizer.getClassName(), iterations: m.optimizer.iterations, loss: h.history.loss[0] }));
    }).catch((e) => { console.log(JSON.stringify({ error: e.message })); });`;
  const out = execFileSync(process.execPath, ["-e", program], { cwd: __dirname, encoding: "utf8" });
  const result = JSON.parse(out.trim().split("\n").pop()!);
  t.is(result.error, undefined);
  t.is(result.optimizer, "Adam");
  t.is(result.iterations, 3, "Adam's iteration count (2 saved steps + 1) came along");
  t.true(Number.isFinite(result.loss));
  ff.dispose();
});

test("attaching saved plugin state to an instance without that plugin is a clear error", async (t) => {
  const { x, y } = blobs(32);
  const m = mlp(4);
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: GradientEma }] }, quiet);
  m.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy" });
  await m.fit(x, y, { epochs: 1, verbose: 0 });
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(m)));
  const other = await createFlatfit({ seed: 1 }, quiet);
  t.throws(() => other.attach(loaded), { message: /state of plugin "gradient-ema#0".*create it with the config the model was trained with/ });
});

test("model.save leaks nothing: numTensors is the same after a second save as after the first", async (t) => {
  const { x, y } = blobs(32);
  const m = mlp(4);
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "pertopt" }] }, quiet);
  m.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
  ff.attach(m);
  await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
  await saveToMemory(m);
  const after = tf.memory().numTensors;
  await saveToMemory(m);
  await saveToMemory(m);
  t.is(tf.memory().numTensors, after);
  ff.dispose();
});
