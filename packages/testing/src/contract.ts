/**
 * What every plugin must hold wherever tfjs trains (the fit contract), checked against plain
 * tfjs doing the same thing with the same Dropout masks (both draw one seeded Math.random stream):
 *
 *   entry points: `fit` on tensors (with `validationSplit`), `fitDataset` (a Dataset for
 *   validation), `trainOnBatch`, `optimizer.minimize` through `ff.wrap` and `ff.step` in a custom loop;
 *   models: BatchNorm + Dropout with metrics, two outputs, a layer frozen after compile.
 *
 * For each: the loss and metrics tfjs reports for a step are the unperturbed model's (equal to
 * plain training's, exactly); BatchNorm moving statistics after one step equal plain training's
 * (exactly); at learning rate 0 every weight is bit-identical afterwards; no device→host read
 * inside a step; epoch and batch numbers reach the steps; `tf.memory().numTensors` is the same
 * after a second run as after the first.
 */
import * as tf from "@tensorflow/tfjs";
import type { ExecutionContext } from "ava";
import { createFlatfit, type Flatfit, type PluginSpec } from "@flatfit/core";
import { HostReadCounter } from "./host-reads";
import { batchNormStats, blobs, bnDropoutModel, weightsOf } from "./models";
import { withSeededMathRandom } from "./prng";

export interface ContractOptions {
  learningRate?: number;
  /** The flatfit config's seed (default 1). */
  seed?: number;
}

type Data = { x: tf.Tensor2D; y: tf.Tensor2D };
const compile = (m: tf.LayersModel, optimizer: tf.Optimizer) => m.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
const quiet = { logLevel: "warn" as const };

/** Two heads on one trunk: a softmax classifier and a regression of the class index. */
function twoOutputModel(seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const input = tf.input({ shape: [4] });
  const h = tf.layers.dense({ units: 12, activation: "tanh", kernelInitializer: init(seed) }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  const cls = tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init(seed + 1), name: "cls" }).apply(bn) as tf.SymbolicTensor;
  const reg = tf.layers.dense({ units: 1, kernelInitializer: init(seed + 2), name: "reg" }).apply(bn) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [cls, reg] });
}

/** A flatfit instance and an optimizer whose steps are watched for host reads and epoch numbers. */
async function instance(plugins: PluginSpec[], opts: ContractOptions) {
  const ff = await createFlatfit({ seed: opts.seed ?? 1, ...quiet, plugins });
  const seen: Array<[number, number]> = [];
  ff.hooks.beforeStep.tap("contract-probe", (ctx) => void seen.push([ctx.epoch, ctx.batch]));
  return { ff, seen };
}

function watched(optimizer: tf.Optimizer): { optimizer: tf.Optimizer; reads: HostReadCounter } {
  const reads = new HostReadCounter();
  reads.watchSteps(optimizer);
  return { optimizer, reads };
}

async function checkFit(t: ExecutionContext, plugins: PluginSpec[], opts: ContractOptions, { x, y }: Data): Promise<void> {
  const lr = opts.learningRate ?? 0.05;
  const fitOnce = (m: tf.LayersModel, args: tf.ModelFitArgs = {}) =>
    withSeededMathRandom(5, () => m.fit(x, y, { epochs: 1, batchSize: 48, shuffle: false, verbose: 0, ...args }));
  const plain = bnDropoutModel(1);
  compile(plain, tf.train.sgd(lr));
  const hPlain = await fitOnce(plain);

  const { ff, seen } = await instance(plugins, opts);
  const model = bnDropoutModel(1);
  const { optimizer, reads } = watched(ff.wrap(tf.train.sgd(lr)));
  compile(model, optimizer);
  try {
    const hFlat = await fitOnce(model, { callbacks: [ff.callbacks()] });
    t.is(hFlat.history.loss[0], hPlain.history.loss[0], "fit: reported loss is the unperturbed model's");
    t.is(hFlat.history.acc[0], hPlain.history.acc[0], "fit: reported accuracy is the unperturbed model's");
    t.deepEqual(batchNormStats(model), batchNormStats(plain), "fit: BatchNorm statistics equal plain training's after one step");
    t.is(reads.count, 0, "fit: no device→host reads inside a step");

    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, validationSplit: 0.25, callbacks: [ff.callbacks()] });
    t.deepEqual(seen.slice(1), [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]], "fit: every step knows its epoch and batch (36 training rows / 16)");
    const afterFirst = tf.memory().numTensors;
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, validationSplit: 0.25, callbacks: [ff.callbacks()] });
    t.is(tf.memory().numTensors, afterFirst, "fit: numTensors stable across fits");
  } finally {
    reads.restore();
    ff.dispose();
    plain.dispose();
    model.dispose();
  }
}

async function checkFitDataset(t: ExecutionContext, plugins: PluginSpec[], opts: ContractOptions, { x, y }: Data): Promise<void> {
  const lr = opts.learningRate ?? 0.05;
  const rows = { xs: x.unstack(), ys: y.unstack() };
  const batches = (size: number) => tf.data.zip({ xs: tf.data.array(rows.xs), ys: tf.data.array(rows.ys) }).batch(size);
  const fitOnce = (m: tf.LayersModel) => withSeededMathRandom(5, () => m.fitDataset(batches(48), { epochs: 1, verbose: 0 }));
  const plain = bnDropoutModel(1);
  compile(plain, tf.train.sgd(lr));
  const hPlain = await fitOnce(plain);

  const { ff, seen } = await instance(plugins, opts);
  const model = bnDropoutModel(1);
  compile(model, tf.train.sgd(lr));
  ff.attach(model);
  const { reads } = watched(model.optimizer);
  try {
    const hFlat = await fitOnce(model);
    t.is(hFlat.history.loss[0], hPlain.history.loss[0], "fitDataset: reported loss is the unperturbed model's");
    t.is(hFlat.history.acc[0], hPlain.history.acc[0], "fitDataset: reported accuracy is the unperturbed model's");
    t.deepEqual(batchNormStats(model), batchNormStats(plain), "fitDataset: BatchNorm statistics equal plain training's after one step");
    t.is(reads.count, 0, "fitDataset: no device→host reads inside a step");

    await model.fitDataset(batches(24), { epochs: 2, verbose: 0, validationData: batches(24) });
    t.deepEqual(seen.slice(1), [[0, 0], [0, 1], [1, 0], [1, 1]], "fitDataset: every step knows its epoch and batch");
    const afterFirst = tf.memory().numTensors;
    await model.fitDataset(batches(24), { epochs: 1, verbose: 0, validationData: batches(24) });
    t.is(tf.memory().numTensors, afterFirst, "fitDataset: numTensors stable across runs");
  } finally {
    tf.dispose([...rows.xs, ...rows.ys]);
    reads.restore();
    ff.dispose();
    plain.dispose();
    model.dispose();
  }
}

async function checkTrainOnBatch(t: ExecutionContext, plugins: PluginSpec[], opts: ContractOptions, { x, y }: Data): Promise<void> {
  const run = (m: tf.LayersModel) => withSeededMathRandom(5, () => m.trainOnBatch(x, y));
  // learning rate 0: every weight must come back bit-identical, whatever the plugins perturbed
  const plain = bnDropoutModel(1);
  compile(plain, tf.train.sgd(0));
  const rPlain = await run(plain);

  const { ff } = await instance(plugins, opts);
  const model = bnDropoutModel(1);
  compile(model, tf.train.sgd(0));
  ff.attach(model);
  const { reads } = watched(model.optimizer);
  try {
    const rFlat = await run(model);
    t.deepEqual(rFlat, rPlain, "trainOnBatch: returns plain tfjs's [loss, accuracy]");
    t.deepEqual(weightsOf(model), weightsOf(plain), "trainOnBatch at learning rate 0: weights and BatchNorm statistics as plain training's");
    t.is(reads.count, 0, "trainOnBatch: no device→host reads inside a step");
    await model.trainOnBatch(x, y);
    const afterFirst = tf.memory().numTensors;
    await model.trainOnBatch(x, y);
    t.is(tf.memory().numTensors, afterFirst, "trainOnBatch: numTensors stable across calls");
  } finally {
    reads.restore();
    ff.dispose();
    plain.dispose();
    model.dispose();
  }
}

async function checkCustomLoops(t: ExecutionContext, plugins: PluginSpec[], opts: ContractOptions, { x, y }: Data): Promise<void> {
  const lr = opts.learningRate ?? 0.05;
  const lossOf = (m: tf.LayersModel) => () => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  const vars = (m: tf.LayersModel) => m.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
  const plain = bnDropoutModel(1);
  const pOpt = tf.train.sgd(lr);
  const lPlain = await withSeededMathRandom(5, () => tf.tidy(() => pOpt.minimize(lossOf(plain), true, vars(plain))!.arraySync()));

  const loops: Array<[string, (m: tf.LayersModel, ff: Flatfit, o: tf.Optimizer) => tf.Scalar | null]> = [
    ["optimizer.minimize through ff.wrap", (m, _ff, o) => o.minimize(lossOf(m), true, vars(m))],
    ["ff.step", (m, ff, o) => ff.step(lossOf(m), vars(m), o)],
  ];
  for (const [name, stepOnce] of loops) {
    const { ff } = await instance(plugins, opts);
    const model = bnDropoutModel(1);
    const { optimizer, reads } = watched(ff.wrap(tf.train.sgd(lr)));
    try {
      const l = await withSeededMathRandom(5, () => tf.tidy(() => stepOnce(model, ff, optimizer)!.arraySync()));
      t.is(l, lPlain, `${name}: returns the unperturbed loss`);
      t.deepEqual(batchNormStats(model), batchNormStats(plain), `${name}: BatchNorm statistics equal plain training's after one step`);
      t.is(reads.count, 0, `${name}: no device→host reads inside a step`);
      tf.tidy(() => void stepOnce(model, ff, optimizer));
      const afterFirst = tf.memory().numTensors;
      tf.tidy(() => void stepOnce(model, ff, optimizer));
      t.is(tf.memory().numTensors, afterFirst, `${name}: numTensors stable across steps in a tf.tidy`);
    } finally {
      reads.restore();
      ff.dispose();
      model.dispose();
    }
  }
  plain.dispose();
}

async function checkTwoOutputs(t: ExecutionContext, plugins: PluginSpec[], opts: ContractOptions, { x, y }: Data): Promise<void> {
  const lr = opts.learningRate ?? 0.05;
  const yReg = tf.tidy(() => tf.expandDims(tf.argMax(y, 1).toFloat(), 1));
  const compile2 = (m: tf.LayersModel, o: tf.Optimizer) => m.compile({ optimizer: o, loss: ["categoricalCrossentropy", "meanSquaredError"], metrics: ["accuracy"] });
  const plain = twoOutputModel(7);
  compile2(plain, tf.train.sgd(lr));
  const { ff } = await instance(plugins, opts);
  const model = twoOutputModel(7);
  compile2(model, tf.train.sgd(lr));
  ff.attach(model);
  try {
    const hPlain = await plain.fit(x, [y, yReg], { epochs: 1, batchSize: 48, shuffle: false, verbose: 0 });
    const hFlat = await model.fit(x, [y, yReg], { epochs: 1, batchSize: 48, shuffle: false, verbose: 0 });
    t.deepEqual(hFlat.history, hPlain.history, "two outputs, fit: every reported loss and metric is the unperturbed model's");
    const rPlain = await plain.trainOnBatch(x, [y, yReg]);
    const rFlat = await model.trainOnBatch(x, [y, yReg]);
    t.is((rFlat as number[]).length, (rPlain as number[]).length, "two outputs, trainOnBatch: as many values as plain tfjs returns");
  } finally {
    ff.dispose();
    tf.dispose(yReg);
    plain.dispose();
    model.dispose();
  }
}

async function checkFrozenLayer(t: ExecutionContext, plugins: PluginSpec[], opts: ContractOptions, { x, y }: Data): Promise<void> {
  const lr = opts.learningRate ?? 0.05;
  const fitOnce = (m: tf.LayersModel) => withSeededMathRandom(5, () => m.fit(x, y, { epochs: 1, batchSize: 48, shuffle: false, verbose: 0 }));
  const plain = bnDropoutModel(1);
  compile(plain, tf.train.adam(lr));
  plain.layers[0].trainable = false;
  const hPlain = await fitOnce(plain);
  const { ff } = await instance(plugins, opts);
  const model = bnDropoutModel(1);
  compile(model, tf.train.adam(lr));
  ff.attach(model);
  model.layers[0].trainable = false; // frozen after compile, as GANs do
  const frozenOf = (m: tf.LayersModel) => m.layers[0].getWeights().map((w) => Array.from(w.dataSync()));
  const frozenBefore = frozenOf(model);
  try {
    const hFlat = await fitOnce(model);
    t.is(hFlat.history.loss[0], hPlain.history.loss[0], "frozen layer: reported loss is the unperturbed model's");
    t.deepEqual(frozenOf(plain), frozenBefore, "frozen layer: plain tfjs does not move it");
    t.deepEqual(frozenOf(model), frozenBefore, "frozen layer: its weights do not move, as in plain training");
  } finally {
    ff.dispose();
    plain.dispose();
    model.dispose();
  }
}

export async function checkFitContract(t: ExecutionContext, plugins: PluginSpec[], opts: ContractOptions = {}): Promise<void> {
  const data = blobs(48);
  try {
    await checkFit(t, plugins, opts, data);
    await checkFitDataset(t, plugins, opts, data);
    await checkTrainOnBatch(t, plugins, opts, data);
    await checkCustomLoops(t, plugins, opts, data);
    await checkTwoOutputs(t, plugins, opts, data);
    await checkFrozenLayer(t, plugins, opts, data);
  } finally {
    tf.dispose([data.x, data.y]);
  }
}
