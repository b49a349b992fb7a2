/**
 * What every plugin must hold inside an unmodified `model.fit` on a model with BatchNorm and
 * Dropout (the fit contract):
 *   - the loss fit reports for a step is the unperturbed model's (= plain training's, exactly);
 *   - BatchNorm moving statistics after one step equal plain training's (exactly);
 *   - no device→host read inside a step;
 *   - `tf.memory().numTensors` after a second fit equals that after the first.
 * Plain and flatfit runs draw the same Math.random stream, so Dropout masks agree.
 */
import * as tf from "@tensorflow/tfjs";
import type { ExecutionContext } from "ava";
import { createFlatfit, type PluginSpec } from "@flatfit/core";
import { HostReadCounter } from "./host-reads";
import { batchNormStats, blobs, bnDropoutModel } from "./models";
import { withSeededMathRandom } from "./prng";

export interface ContractOptions {
  learningRate?: number;
  /** Extra fit callbacks-independent config fields (e.g. seed). */
  seed?: number;
}

export async function checkFitContract(t: ExecutionContext, plugins: PluginSpec[], opts: ContractOptions = {}): Promise<void> {
  const lr = opts.learningRate ?? 0.05;
  const { x, y } = blobs(48);
  const compile = (m: tf.LayersModel, optimizer: tf.Optimizer) =>
    m.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const fitOnce = (m: tf.LayersModel, callbacks: tf.Callback[] = []) =>
    withSeededMathRandom(5, () => m.fit(x, y, { epochs: 1, batchSize: 48, shuffle: false, verbose: 0, callbacks }));

  const plain = bnDropoutModel(1);
  compile(plain, tf.train.sgd(lr));
  const hPlain = await fitOnce(plain);

  const ff = await createFlatfit({ seed: opts.seed ?? 1, logLevel: "warn", plugins });
  const model = bnDropoutModel(1);
  const optimizer = ff.wrap(tf.train.sgd(lr));
  const reads = new HostReadCounter();
  reads.watchSteps(optimizer);
  compile(model, optimizer);
  try {
    const hFlat = await fitOnce(model, [ff.callbacks()]);
    t.is(hFlat.history.loss[0], hPlain.history.loss[0], "reported loss is the unperturbed model's");
    t.is(hFlat.history.acc[0], hPlain.history.acc[0], "reported accuracy is the unperturbed model's");
    t.deepEqual(batchNormStats(model), batchNormStats(plain), "BatchNorm statistics equal plain training's after one step");
    t.is(reads.count, 0, "no device→host reads inside a step");

    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, callbacks: [ff.callbacks()] });
    const afterFirst = tf.memory().numTensors;
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, callbacks: [ff.callbacks()] });
    t.is(tf.memory().numTensors, afterFirst, "numTensors stable across fits");
  } finally {
    reads.restore();
    ff.dispose();
    tf.dispose([x, y]);
    plain.dispose();
    model.dispose();
  }
}
