/**
 * Trains the same model twice on the same data — plain SGD, then SGD through the SAM plugin
 * loaded by path from flatfit.config.json — and prints both results.
 */
import "reflect-metadata";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit } from "@flatfit/core";

function data(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, 8], 0, 1, "float32", seed) as tf.Tensor2D;
    const w = tf.randomNormal([8, 1], 0, 1, "float32", 99);
    const labels = tf.cast(tf.greater(tf.add(tf.matMul(x, w), tf.mul(0.5, tf.sin(tf.mul(3, x.slice([0, 0], [n, 1]))))), 0), "int32");
    return { x, y: tf.oneHot(labels.reshape([n]) as tf.Tensor1D, 2) as tf.Tensor2D };
  });
}

function model(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 32, inputShape: [8], activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  m.add(tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return m;
}

async function main(): Promise<void> {
  const ff = await createFlatfit(path.join(__dirname, "..", "..", "flatfit.config.json"));
  const train = data(512, 1);
  const test = data(512, 2);
  for (const [name, optimizer] of [["plain SGD", tf.train.sgd(0.2)], ["SGD + SAM (by path)", ff.wrap(tf.train.sgd(0.2))]] as const) {
    const m = model();
    m.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    await m.fit(train.x, train.y, { epochs: 10, batchSize: 32, shuffle: false, verbose: 0 });
    const [loss, acc] = (m.evaluate(test.x, test.y) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    console.log(`${name.padEnd(22)} test loss ${loss.toFixed(4)}  test accuracy ${(100 * acc).toFixed(1)}%`);
  }
  ff.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
