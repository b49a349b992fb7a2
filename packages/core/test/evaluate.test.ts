/**
 * `ff.evaluate` names every number as tfjs names it (`model.metricsNames`), also for a model of
 * several outputs, whose `model.evaluate` list in tfjs 4.22 does not line up with those names.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit } from "@flatfit/core";

const quiet = { logSink: () => {} };

function twoOutputModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const hidden = tf.layers.dense({ units: 6, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
  const a = tf.layers.dense({ units: 3, activation: "softmax", name: "a", kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(hidden);
  const b = tf.layers.dense({ units: 2, activation: "softmax", name: "b", kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(hidden);
  const model = tf.model({ inputs: input, outputs: [a as tf.SymbolicTensor, b as tf.SymbolicTensor] });
  model.compile({ optimizer: "sgd", loss: ["categoricalCrossentropy", "categoricalCrossentropy"], metrics: ["accuracy"] });
  return model;
}

const mean = (t: tf.Tensor): number => tf.tidy(() => tf.mean(t).dataSync()[0]);

test("ff.evaluate of a two-output model: total loss, each output's loss and accuracy under tfjs's names and with its values", async (t) => {
  const model = twoOutputModel();
  const x = tf.randomNormal([20, 4], 0, 1, "float32", 11);
  const ya = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1], "int32"), 3);
  const yb = tf.oneHot(tf.tensor1d([1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1], "int32"), 2);
  const ff = await createFlatfit({ seed: 1 }, quiet);
  const [row] = await ff.evaluate(model, x, [ya, yb]);
  t.is(row.variant, "float32");
  t.deepEqual(model.metricsNames, ["loss", "a_loss", "b_loss", "a_acc", "b_acc"]);
  t.deepEqual(Object.keys(row.metrics), ["a_loss", "b_loss", "a_acc", "b_acc"]);

  // what each name means, computed here from the predictions
  const [pa, pb] = model.predict(x) as tf.Tensor[];
  const want = {
    a_loss: mean(tf.metrics.categoricalCrossentropy(ya, pa)),
    b_loss: mean(tf.metrics.categoricalCrossentropy(yb, pb)),
    a_acc: mean(tf.metrics.categoricalAccuracy(ya, pa)),
    b_acc: mean(tf.metrics.categoricalAccuracy(yb, pb)),
  };
  for (const [name, value] of Object.entries(want)) t.true(Math.abs(row.metrics[name] - value) < 1e-5, `${name}: ${row.metrics[name]} vs ${value}`);
  t.true(Math.abs(row.loss - (want.a_loss + want.b_loss)) < 1e-5, `loss ${row.loss} is the sum of the outputs' losses`);
  t.notDeepEqual([want.a_loss, want.a_acc], [want.b_loss, want.b_acc], "the two outputs differ, so a shifted name would show");

  // the same numbers model.evaluate returns: its list ends with the named values
  const out = (model.evaluate(x, [ya, yb], { batchSize: 256 }) as tf.Scalar[]).map((s) => s.dataSync()[0]);
  t.is(out.length, 6, "tfjs 4.22: [a_loss, a_loss + b_loss, a_loss, b_loss, a_acc, b_acc]");
  t.deepEqual([row.loss, row.metrics.a_loss, row.metrics.b_loss, row.metrics.a_acc, row.metrics.b_acc], out.slice(1));
  ff.dispose();
  model.dispose();
  tf.dispose([x, ya, yb, pa, pb]);
});

test("ff.evaluate of a one-output model: [loss, ...metrics] as model.evaluate returns them", async (t) => {
  const input = tf.input({ shape: [4] });
  const out = tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(input);
  const model = tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
  model.compile({ optimizer: "sgd", loss: "categoricalCrossentropy", metrics: ["accuracy", "categoricalCrossentropy"] });
  const x = tf.randomNormal([10, 4], 0, 1, "float32", 12);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], "int32"), 3);
  const ff = await createFlatfit({ seed: 1 }, quiet);
  const [row] = await ff.evaluate(model, x, y);
  const values = (model.evaluate(x, y, { batchSize: 256 }) as tf.Scalar[]).map((s) => s.dataSync()[0]);
  t.deepEqual(model.metricsNames, ["loss", "acc", "categoricalCrossentropy"]);
  t.deepEqual(row, { variant: "float32", loss: values[0], metrics: { acc: values[1], categoricalCrossentropy: values[2] } });
  ff.dispose();
  model.dispose();
  tf.dispose([x, y]);
});
