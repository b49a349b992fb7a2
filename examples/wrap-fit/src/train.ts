/**
 * An ordinary tfjs training script. The two lines marked "flatfit" are all it takes to train
 * through the plugins listed in flatfit.config.json (HERO, and evaluation of the model quantized
 * at 8, 6 and 4 bits after every epoch). Everything else is plain tfjs.
 */
import "reflect-metadata";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit } from "@flatfit/core";
import { moons } from "./moons";

async function main(): Promise<void> {
  const ff = await createFlatfit(path.join(__dirname, "..", "..", "flatfit.config.json")); // flatfit
  const train = moons(1024, 0.15, 1);
  const validation = moons(512, 0.15, 2);

  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 32, inputShape: [2], activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: 1 }) }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dense({ units: 32, activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: 2 }) }));
  model.add(tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  ff.attach(model); // flatfit

  const started = Date.now();
  const history = await model.fit(train.x, train.y, {
    epochs: 12,
    batchSize: 32,
    validationData: [validation.x, validation.y],
    verbose: 0,
  });
  const seconds = (Date.now() - started) / 1000;

  const last = history.history;
  const epoch = history.epoch.length - 1;
  console.log(`trained ${history.epoch.length} epochs in ${seconds.toFixed(1)} s with ${ff.pluginIds.join(" + ")}`);
  console.log("final epoch logs:");
  for (const key of Object.keys(last)) console.log(`  ${key.padEnd(16)} ${Number(last[key][epoch]).toFixed(4)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
