/**
 * Compiling an attached model again — as tfjs's examples do to change the learning rate — keeps
 * flatfit on: a Sequential (which builds a new inner LayersModel at every compile) stays the same
 * model, and the fresh optimizer of the new compile is wrapped. A fit whose callback list has
 * `ff.callbacks()` while the optimizer is not this instance's wrapper is refused, not silently run
 * without the plugins.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, FlatfitOptimizer, type FlatfitHooks } from "@flatfit/core";

const quiet = { logSink: () => {} };

/** Counts the steps its gradient tap runs in (so a test sees whether the plugins ran). */
class CountSteps {
  static readonly id = "count-steps";
  steps = 0;
  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap("count-steps", (oracle) => () => {
      this.steps++;
      return oracle();
    });
  }
}

function data(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = tf.randomNormal([16, 3], 0, 1, "float32", 7) as tf.Tensor2D;
  const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0], "int32"), 2) as tf.Tensor2D;
  return { x, y };
}

function sequential(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 4, inputShape: [3], activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}

function functional(): tf.LayersModel {
  const input = tf.input({ shape: [3] });
  const hidden = tf.layers.dense({ units: 4, activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input);
  const out = tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(hidden);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

const fitArgs = { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 as const };

test("an attached tf.sequential compiled again (a new learning rate) trains on, with the plugins, through the new optimizer", async (t) => {
  const { x, y } = data();
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: CountSteps }] }, quiet);
  const model = sequential();
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  ff.attach(model);
  await model.fit(x, y, fitArgs);
  t.is(ff.plugin<CountSteps>(0).steps, 2);

  const slower = tf.train.sgd(0.01);
  model.compile({ optimizer: slower, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  t.true(model.optimizer instanceof FlatfitOptimizer, "the new optimizer is wrapped");
  t.is((model.optimizer as FlatfitOptimizer).inner, slower);
  const h = await model.fit(x, y, fitArgs); // threw "already trains model sequential_1_model, not sequential_1_model"
  t.is(ff.plugin<CountSteps>(0).steps, 4, "the plugins ran in the fit after the compile");
  t.is(slower.iterations, 2, "the new optimizer took the steps");
  t.true(Number.isFinite(h.history.acc[0] as number), "the new compile's metrics are reported");
  // the same with ff.callbacks() beside attach, and through trainOnBatch
  await model.fit(x, y, { ...fitArgs, callbacks: [ff.callbacks()] });
  await model.trainOnBatch(x, y);
  t.is(ff.plugin<CountSteps>(0).steps, 7);
  ff.dispose();
  tf.dispose([x, y]);
});

test("an attached functional model compiled again with a fresh optimizer keeps running the plugins (fit, fitDataset, trainOnBatch)", async (t) => {
  const { x, y } = data();
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: CountSteps }] }, quiet);
  const model = functional();
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  ff.attach(model);
  await model.fit(x, y, fitArgs);
  const adam = tf.train.adam(0.01);
  model.compile({ optimizer: adam, loss: "categoricalCrossentropy" });
  t.true(model.optimizer instanceof FlatfitOptimizer);
  await model.fit(x, y, fitArgs);
  t.is(ff.plugin<CountSteps>(0).steps, 4, "2 steps before the compile, 2 after");
  t.is(adam.iterations, 2);
  const ds = tf.data.zip({ xs: tf.data.array(x.unstack()), ys: tf.data.array(y.unstack()) }).batch(8);
  await model.fitDataset(ds, { epochs: 1, verbose: 0 });
  await model.trainOnBatch(x, y);
  t.is(ff.plugin<CountSteps>(0).steps, 7);
  t.is(adam.iterations, 5);
  // compiling with the instance's own wrapper keeps it as it is
  const wrapped = ff.wrap(tf.train.sgd(0.05));
  model.compile({ optimizer: wrapped, loss: "categoricalCrossentropy" });
  t.is(model.optimizer, wrapped);
  ff.dispose();
  // once the instance is disposed, a compile is tfjs's alone
  const plain = tf.train.sgd(0.1);
  t.notThrows(() => model.compile({ optimizer: plain, loss: "categoricalCrossentropy" }));
  t.is(model.optimizer, plain);
  tf.dispose([x, y]);
});

test("ff.callbacks() in a fit whose optimizer is not this instance's wrapper (compiled again without ff.wrap) is refused with what to do", async (t) => {
  const { x, y } = data();
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: CountSteps }] }, quiet);
  const model = functional();
  model.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy" });
  await model.fit(x, y, { ...fitArgs, callbacks: [ff.callbacks()] });
  model.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy" });
  const before = model.getWeights().map((w) => Array.from(w.dataSync()));
  const err = await t.throwsAsync(model.fit(x, y, { ...fitArgs, callbacks: [ff.callbacks()] }));
  t.regex(err!.message, /the model's optimizer is a plain SGD, not wrapped by this flatfit instance, so its plugins \(count-steps\) would not run/);
  t.regex(err!.message, /compile with optimizer: ff\.wrap\(optimizer\), or call ff\.attach\(model\)/);
  t.deepEqual(model.getWeights().map((w) => Array.from(w.dataSync())), before, "refused before any step");
  t.is(ff.plugin<CountSteps>(0).steps, 2);
  // with no step plugins the wrapper changes nothing: a plain optimizer is fine
  const plain = await createFlatfit({ seed: 1 }, quiet);
  await t.notThrowsAsync(model.fit(x, y, { ...fitArgs, callbacks: [plain.callbacks()] }));
  plain.dispose();
  ff.dispose();
  tf.dispose([x, y]);
});
