import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type FlatfitConfig } from "@flatfit/core";
import { blobs, mlp, saveToMemory, weightsOf } from "@flatfit/testing";
import { GradientEma } from "./probes";

const quiet = { logSink: () => {} };
const config: FlatfitConfig = { seed: 1, plugins: [{ use: GradientEma }] };

test("save with includeOptimizer, load, attach, continue: identical to uninterrupted training", async (t) => {
  const { x, y } = blobs(64);
  const fitArgs = { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 as const };
  const compileWith = async (m: tf.LayersModel) => {
    const ff = await createFlatfit(config, quiet);
    m.compile({ optimizer: ff.wrap(tf.train.adam(0.02)), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    return ff;
  };

  // uninterrupted: 2 + 2 epochs on one model
  const straight = mlp(3);
  await compileWith(straight);
  await straight.fit(x, y, fitArgs);
  await straight.fit(x, y, fitArgs);

  // interrupted: 2 epochs, save, load into a new model, a new flatfit instance, 2 more epochs
  const first = mlp(3);
  await compileWith(first);
  await first.fit(x, y, fitArgs);
  const artifacts = await saveToMemory(first);
  const names = (artifacts.weightSpecs ?? []).filter((s) => s.group === "optimizer").map((s) => s.name);
  t.true(names.some((n) => n.startsWith("__flatfit__/gradient-ema#0/")), "plugin state is among the optimizer weights");

  const resumed = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const ff2 = await createFlatfit(config, quiet);
  ff2.attach(resumed);
  await resumed.fit(x, y, fitArgs);
  t.deepEqual(weightsOf(resumed), weightsOf(straight));

  // without the plugin state (a fresh EMA), the continuation differs: the state mattered
  const fresh = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const ff3 = await createFlatfit(config, quiet);
  fresh.compile({ optimizer: ff3.wrap(tf.train.adam(0.02)), loss: "categoricalCrossentropy" });
  await fresh.fit(x, y, fitArgs);
  t.notDeepEqual(weightsOf(fresh), weightsOf(straight));
});

test("attaching saved plugin state to an instance without that plugin is a clear error", async (t) => {
  const { x, y } = blobs(32);
  const m = mlp(4);
  const ff = await createFlatfit(config, quiet);
  m.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy" });
  await m.fit(x, y, { epochs: 1, verbose: 0 });
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(m)));
  const other = await createFlatfit({ seed: 1 }, quiet);
  t.throws(() => other.attach(loaded), { message: /state of plugin "gradient-ema#0".*create it with the config the model was trained with/ });
});
