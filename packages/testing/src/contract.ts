/**
 * What every plugin must hold wherever tfjs trains (the fit contract), checked against plain
 * tfjs doing the same thing with the same Dropout masks (both draw one seeded Math.random stream):
 *
 *   entry points: `fit` on tensors (with `validationSplit`), `fitDataset` (a Dataset for
 *   validation), `trainOnBatch`, `optimizer.minimize` through `ff.wrap` and `ff.step` in a custom loop;
 *   models: BatchNorm + Dropout with metrics, two outputs, a layer frozen after compile (the
 *   `model` option puts another model, e.g. a CNN, in place of the BatchNorm + Dropout one).
 *
 * For each: the loss and metrics tfjs reports for a step are the unperturbed model's (equal to
 * plain training's, exactly); BatchNorm moving statistics after one step equal plain training's
 * (exactly); at learning rate 0 every weight is bit-identical afterwards; no device→host read
 * inside a step; epoch and batch numbers reach the steps; `tf.memory().numTensors` is the same
 * after a second run as after the first.
 *
 * One implementation for Node and the browser: `runFitContract` imports nothing Node-only, reads
 * values with `await data()` (never `dataSync`, which can lose a WebGPU device), and returns its
 * checks as plain data (structured-clone safe, so a page can hand them to a test runner);
 * `checkFitContract(t, …)` asserts them with AVA.
 */
import * as tf from "@tensorflow/tfjs";
import type { ExecutionContext } from "ava";
import { createFlatfit, type Flatfit, type PluginSpec } from "@flatfit/core";
import { BackendCounter } from "./backend-counter";
import { HostReadCounter } from "./host-reads";
import { blobs, bnDropoutModel } from "./models";
import { withSeededMathRandom } from "./prng";

export interface ContractOptions {
  /**
   * The learning rate of the training runs (default 0.05). At 0 every entry point also compares
   * every weight (BatchNorm statistics included) with plain tfjs's, bit for bit; the frozen-layer
   * check then trains at 0.05 (at 0 "the frozen layer did not move" would say nothing).
   * `trainOnBatch` always runs at 0.
   */
  learningRate?: number;
  /** The flatfit config's seed (default 1). */
  seed?: number;
  /**
   * Where device→host reads inside a step are counted: "tensor" (default: `dataSync`, `data`,
   * `arraySync`, `array` calls, HostReadCounter) or "backend" (the backend's `read`/`readSync`,
   * BackendCounter: on webgl and webgpu each one is a real GPU readback). On the cpu backend
   * "backend" also counts the kernels' own reads (its Tile kernel reads its input with bufferSync:
   * one per gradient evaluation of the BatchNorm model), so use it on GPU backends.
   */
  reads?: "tensor" | "backend";
  /** Run only these entry points (default: all, in the order of CONTRACT_ENTRIES). */
  entries?: ContractEntry[];
  /**
   * The model and data of every entry point but `twoOutputs` (default: `bnDropoutModel` on
   * `blobs(48)`): e.g. a CNN on images. See `ContractModel`.
   */
  model?: ContractModel;
}

/**
 * A model for the fit contract: `build(seed)` gives the same initial weights for the same seed and
 * has a softmax output; `data()` gives 48 examples with one-hot labels (fit's check counts 36
 * training rows / 12 after validationSplit 0.25). Its first layer has weights (the frozen-layer
 * check freezes it); when it has BatchNormalization layers their moving statistics are compared.
 */
export interface ContractModel {
  build(seed: number): tf.LayersModel;
  data(): { x: tf.Tensor; y: tf.Tensor2D };
}

export const CONTRACT_ENTRIES = ["fit", "fitDataset", "trainOnBatch", "customLoops", "twoOutputs", "frozenLayer"] as const;
export type ContractEntry = (typeof CONTRACT_ENTRIES)[number];

/** One check: `actual` must equal `expected` (numbers compared with Object.is, element by element). */
export interface ContractCheck {
  entry: ContractEntry;
  message: string;
  actual: unknown;
  expected: unknown;
  pass: boolean;
}

export interface ContractResult {
  checks: ContractCheck[];
  /** Wall time of each entry point, ms. */
  ms: Partial<Record<ContractEntry, number>>;
}

/** Deep equality of plain data; numbers by Object.is (so NaN equals NaN and −0 differs from 0). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "number" || typeof b === "number") return Object.is(a, b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return sameValue(ka, kb) && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

type Data = { x: tf.Tensor; y: tf.Tensor2D };
type Check = (message: string, actual: unknown, expected: unknown) => void;
/** `data` and `model` serve every entry point but twoOutputs, which has its own model on `blobs`. */
type Ctx = { plugins: PluginSpec[]; opts: ContractOptions; lr: number; data: Data; blobs: Data; model: (seed: number) => tf.LayersModel; check: Check };

const compile = (m: tf.LayersModel, optimizer: tf.Optimizer) => m.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
const quiet = { logLevel: "warn" as const };

/** Values of tensors, read asynchronously (one readback each; safe on webgpu). */
async function values(ts: tf.Tensor[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => Array.from(await t.data())));
}
const bnLayers = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName() === "BatchNormalization");
const batchNormStats = (m: tf.LayersModel) => values(bnLayers(m).flatMap((l) => l.getWeights().slice(2)));
const weightsOf = (m: tf.LayersModel) => values(m.getWeights());
async function scalar(t: tf.Tensor): Promise<number> {
  const [v] = await t.data();
  t.dispose();
  return v;
}

/**
 * Two heads on one trunk: a softmax classifier and a regression of the class index. The trunk has
 * bnDropoutModel's layers and sizes (on webgl, shaders are compiled per shape: the same shapes
 * reuse them).
 */
function twoOutputModel(seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const input = tf.input({ shape: [4] });
  const h = tf.layers.dense({ units: 16, kernelInitializer: init(seed) }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.activation({ activation: "relu" }).apply(tf.layers.batchNormalization().apply(h)) as tf.SymbolicTensor;
  const cls = tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init(seed + 1), name: "cls" }).apply(bn) as tf.SymbolicTensor;
  const reg = tf.layers.dense({ units: 1, kernelInitializer: init(seed + 2), name: "reg" }).apply(bn) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [cls, reg] });
}

/** A flatfit instance whose steps are watched for epoch and batch numbers. */
async function instance({ plugins, opts }: Ctx) {
  const ff = await createFlatfit({ seed: opts.seed ?? 1, ...quiet, plugins });
  const seen: Array<[number, number]> = [];
  ff.hooks.beforeStep.tap("contract-probe", (ctx) => void seen.push([ctx.epoch, ctx.batch]));
  return { ff, seen };
}

/** Counts device→host reads while watching, at the tensor or at the backend. */
interface Reads {
  count(): number;
  watch<T>(fn: () => T): T;
  watchSteps(optimizer: tf.Optimizer): void;
  restore(): void;
}
function counter(opts: ContractOptions): Reads {
  if (opts.reads === "backend") {
    const c = new BackendCounter(tf.backend());
    return { count: () => c.reads, watch: (fn) => c.watch(fn), watchSteps: (o) => c.watchSteps(o), restore: () => c.restore() };
  }
  const c = new HostReadCounter();
  return { count: () => c.count, watch: (fn) => c.watch(fn), watchSteps: (o) => c.watchSteps(o), restore: () => c.restore() };
}

/** At learning rate 0: every weight of `model` bit-equal to `plain`'s. */
async function checkWeightsAtZero(c: Ctx, name: string, model: tf.LayersModel, plain: tf.LayersModel): Promise<void> {
  if (c.lr !== 0) return;
  c.check(`${name} at learning rate 0: every weight and BatchNorm statistic is bit-identical to plain training's`, await weightsOf(model), await weightsOf(plain));
}

async function checkFit(c: Ctx): Promise<void> {
  const { x, y } = c.data;
  const fitOnce = (m: tf.LayersModel, args: tf.ModelFitArgs = {}) =>
    withSeededMathRandom(5, () => m.fit(x, y, { epochs: 1, batchSize: 48, shuffle: false, verbose: 0, ...args }));
  const plain = c.model(1);
  const initialStats = await batchNormStats(plain);
  compile(plain, tf.train.sgd(c.lr));
  const hPlain = await fitOnce(plain);

  const { ff, seen } = await instance(c);
  const model = c.model(1);
  const optimizer = ff.wrap(tf.train.sgd(c.lr));
  const reads = counter(c.opts);
  reads.watchSteps(optimizer);
  compile(model, optimizer);
  try {
    const hFlat = await fitOnce(model, { callbacks: [ff.callbacks()] });
    c.check("fit: reported loss is the unperturbed model's", hFlat.history.loss[0], hPlain.history.loss[0]);
    c.check("fit: reported accuracy is the unperturbed model's", hFlat.history.acc[0], hPlain.history.acc[0]);
    const stats = await batchNormStats(plain);
    if (bnLayers(plain).length > 0) c.check("fit: the step moved plain training's BatchNorm statistics (so comparing them means something)", sameValue(stats, initialStats), false);
    c.check("fit: BatchNorm statistics equal plain training's after one step", await batchNormStats(model), stats);
    await checkWeightsAtZero(c, "fit", model, plain);

    await model.fit(x, y, { epochs: 2, batchSize: 12, verbose: 0, validationSplit: 0.25, callbacks: [ff.callbacks()] });
    c.check("fit: every step knows its epoch and batch (36 training rows / 12)", seen.slice(1), [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    const afterFirst = tf.memory().numTensors;
    await model.fit(x, y, { epochs: 1, batchSize: 12, verbose: 0, validationSplit: 0.25, callbacks: [ff.callbacks()] });
    c.check("fit: numTensors stable across fits", tf.memory().numTensors, afterFirst);
    c.check("fit: no device→host reads inside a step (10 steps)", reads.count(), 0);
  } finally {
    reads.restore();
    ff.dispose();
    plain.dispose();
    model.dispose();
  }
}

async function checkFitDataset(c: Ctx): Promise<void> {
  const { x, y } = c.data;
  const rows = { xs: x.unstack(), ys: y.unstack() };
  const batches = (size: number, count?: number) => {
    const ds = tf.data.zip({ xs: tf.data.array(rows.xs), ys: tf.data.array(rows.ys) }).batch(size);
    return count ? ds.take(count) : ds;
  };
  const fitOnce = (m: tf.LayersModel) => withSeededMathRandom(5, () => m.fitDataset(batches(48), { epochs: 1, verbose: 0 }));
  const plain = c.model(1);
  compile(plain, tf.train.sgd(c.lr));
  const hPlain = await fitOnce(plain);

  const { ff, seen } = await instance(c);
  const model = c.model(1);
  compile(model, tf.train.sgd(c.lr));
  ff.attach(model);
  const reads = counter(c.opts);
  reads.watchSteps(model.optimizer);
  try {
    const hFlat = await fitOnce(model);
    c.check("fitDataset: reported loss is the unperturbed model's", hFlat.history.loss[0], hPlain.history.loss[0]);
    c.check("fitDataset: reported accuracy is the unperturbed model's", hFlat.history.acc[0], hPlain.history.acc[0]);
    c.check("fitDataset: BatchNorm statistics equal plain training's after one step", await batchNormStats(model), await batchNormStats(plain));
    await checkWeightsAtZero(c, "fitDataset", model, plain);

    // batches of 12 as fit's (shapes already compiled on webgl): 2 per epoch, 1 to validate
    await model.fitDataset(batches(12, 2), { epochs: 2, verbose: 0, validationData: batches(12, 1) });
    c.check("fitDataset: every step knows its epoch and batch", seen.slice(1), [[0, 0], [0, 1], [1, 0], [1, 1]]);
    const afterFirst = tf.memory().numTensors;
    await model.fitDataset(batches(12, 2), { epochs: 1, verbose: 0, validationData: batches(12, 1) });
    c.check("fitDataset: numTensors stable across runs", tf.memory().numTensors, afterFirst);
    c.check("fitDataset: no device→host reads inside a step (7 steps)", reads.count(), 0);
  } finally {
    tf.dispose([...rows.xs, ...rows.ys]);
    reads.restore();
    ff.dispose();
    plain.dispose();
    model.dispose();
  }
}

async function checkTrainOnBatch(c: Ctx): Promise<void> {
  const { x, y } = c.data;
  const run = (m: tf.LayersModel) => withSeededMathRandom(5, () => m.trainOnBatch(x, y));
  // learning rate 0: every weight must come back bit-identical, whatever the plugins perturbed
  const plain = c.model(1);
  compile(plain, tf.train.sgd(0));
  const rPlain = await run(plain);

  const { ff } = await instance(c);
  const model = c.model(1);
  compile(model, tf.train.sgd(0));
  ff.attach(model);
  const reads = counter(c.opts);
  reads.watchSteps(model.optimizer);
  try {
    const rFlat = await run(model);
    c.check("trainOnBatch: returns plain tfjs's [loss, accuracy]", rFlat, rPlain);
    c.check("trainOnBatch at learning rate 0: weights and BatchNorm statistics as plain training's", await weightsOf(model), await weightsOf(plain));
    await model.trainOnBatch(x, y);
    const afterFirst = tf.memory().numTensors;
    await model.trainOnBatch(x, y);
    c.check("trainOnBatch: numTensors stable across calls", tf.memory().numTensors, afterFirst);
    c.check("trainOnBatch: no device→host reads inside a step (3 steps)", reads.count(), 0);
  } finally {
    reads.restore();
    ff.dispose();
    plain.dispose();
    model.dispose();
  }
}

async function checkCustomLoops(c: Ctx): Promise<void> {
  const { x, y } = c.data;
  const lossOf = (m: tf.LayersModel) => () => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  const vars = (m: tf.LayersModel) => m.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
  const plain = c.model(1);
  const pOpt = tf.train.sgd(c.lr);
  const lPlain = await scalar(await withSeededMathRandom(5, () => tf.tidy(() => pOpt.minimize(lossOf(plain), true, vars(plain))!)));
  const plainStats = await batchNormStats(plain);

  const loops: Array<[string, (m: tf.LayersModel, ff: Flatfit, o: tf.Optimizer) => tf.Scalar | null]> = [
    ["optimizer.minimize through ff.wrap", (m, _ff, o) => o.minimize(lossOf(m), true, vars(m))],
    ["ff.step", (m, ff, o) => ff.step(lossOf(m), vars(m), o)],
  ];
  try {
    for (const [name, stepOnce] of loops) {
      const { ff } = await instance(c);
      const model = c.model(1);
      const optimizer = ff.wrap(tf.train.sgd(c.lr));
      const reads = counter(c.opts);
      // the whole call is the step (ff.step need not go through optimizer.minimize)
      const step = () => reads.watch(() => stepOnce(model, ff, optimizer));
      try {
        const l = await scalar(await withSeededMathRandom(5, () => tf.tidy(() => step()!)));
        c.check(`${name}: returns the unperturbed loss`, l, lPlain);
        c.check(`${name}: BatchNorm statistics equal plain training's after one step`, await batchNormStats(model), plainStats);
        await checkWeightsAtZero(c, name, model, plain);
        tf.tidy(() => void step());
        const afterFirst = tf.memory().numTensors;
        tf.tidy(() => void step());
        c.check(`${name}: numTensors stable across steps in a tf.tidy`, tf.memory().numTensors, afterFirst);
        c.check(`${name}: no device→host reads inside a step (3 steps)`, reads.count(), 0);
      } finally {
        reads.restore();
        ff.dispose();
        model.dispose();
      }
    }
  } finally {
    plain.dispose();
  }
}

async function checkTwoOutputs(c: Ctx): Promise<void> {
  const { x, y } = c.blobs;
  const yReg = tf.tidy(() => tf.expandDims(tf.argMax(y, 1).toFloat(), 1));
  const compile2 = (m: tf.LayersModel, o: tf.Optimizer) => m.compile({ optimizer: o, loss: ["categoricalCrossentropy", "meanSquaredError"], metrics: ["accuracy"] });
  const plain = twoOutputModel(7);
  compile2(plain, tf.train.sgd(c.lr));
  const { ff } = await instance(c);
  const model = twoOutputModel(7);
  compile2(model, tf.train.sgd(c.lr));
  ff.attach(model);
  try {
    const hPlain = await plain.fit(x, [y, yReg], { epochs: 1, batchSize: 48, shuffle: false, verbose: 0 });
    const hFlat = await model.fit(x, [y, yReg], { epochs: 1, batchSize: 48, shuffle: false, verbose: 0 });
    c.check("two outputs, fit: every reported loss and metric is the unperturbed model's", hFlat.history, hPlain.history);
    c.check("two outputs, fit: BatchNorm statistics equal plain training's after one step", await batchNormStats(model), await batchNormStats(plain));
    await checkWeightsAtZero(c, "two outputs, fit", model, plain);
    const rPlain = await plain.trainOnBatch(x, [y, yReg]);
    const rFlat = await model.trainOnBatch(x, [y, yReg]);
    c.check("two outputs, trainOnBatch: as many values as plain tfjs returns", (rFlat as number[]).length, (rPlain as number[]).length);
  } finally {
    ff.dispose();
    tf.dispose(yReg);
    plain.dispose();
    model.dispose();
  }
}

async function checkFrozenLayer(c: Ctx): Promise<void> {
  const { x, y } = c.data;
  const lr = c.lr || 0.05; // the frozen layer must stay put while the others train
  const fitOnce = (m: tf.LayersModel) => withSeededMathRandom(5, () => m.fit(x, y, { epochs: 1, batchSize: 48, shuffle: false, verbose: 0 }));
  const plain = c.model(1);
  compile(plain, tf.train.adam(lr));
  plain.layers[0].trainable = false;
  const hPlain = await fitOnce(plain);
  const { ff } = await instance(c);
  const model = c.model(1);
  compile(model, tf.train.adam(lr));
  ff.attach(model);
  model.layers[0].trainable = false; // frozen after compile, as GANs do
  const frozenOf = (m: tf.LayersModel) => values(m.layers[0].getWeights());
  const frozenBefore = await frozenOf(model);
  // then trained by the same optimizer: Adam keeps its slots by position in the variable list
  const thawed = c.model(2);
  compile(thawed, tf.train.adam(lr));
  const { ff: ff2 } = await instance(c);
  ff2.attach(thawed);
  try {
    const hFlat = await fitOnce(model);
    c.check("frozen layer: reported loss is the unperturbed model's", hFlat.history.loss[0], hPlain.history.loss[0]);
    c.check("frozen layer: plain tfjs does not move it", await frozenOf(plain), frozenBefore);
    c.check("frozen layer: its weights do not move, as in plain training", await frozenOf(model), frozenBefore);
    await fitOnce(thawed);
    thawed.layers[0].trainable = false; // frozen between fits, after Adam has a slot for every weight
    const thawedBefore = await frozenOf(thawed);
    const headBefore = await values(thawed.layers[thawed.layers.length - 1].getWeights());
    const h2 = await fitOnce(thawed);
    c.check("frozen between fits: the next fit's loss is finite", Number.isFinite(h2.history.loss[0] as number), true);
    c.check("frozen between fits: its weights do not move", await frozenOf(thawed), thawedBefore);
    const headAfter = await values(thawed.layers[thawed.layers.length - 1].getWeights());
    c.check("frozen between fits: the output layer still trains", JSON.stringify(headAfter) !== JSON.stringify(headBefore), true);
  } finally {
    ff.dispose();
    ff2.dispose();
    plain.dispose();
    model.dispose();
    thawed.dispose();
  }
}

const RUNNERS: Record<ContractEntry, (c: Ctx) => Promise<void>> = {
  fit: checkFit,
  fitDataset: checkFitDataset,
  trainOnBatch: checkTrainOnBatch,
  customLoops: checkCustomLoops,
  twoOutputs: checkTwoOutputs,
  frozenLayer: checkFrozenLayer,
};

/**
 * Runs the fit contract on the active backend and returns every check (it asserts nothing: see
 * `checkFitContract` for AVA). Node and browsers alike. An error thrown inside an entry point is
 * recorded as a failed check ("<entry>: runs without throwing", actual = its stack) and the
 * other entry points still run.
 */
export async function runFitContract(plugins: PluginSpec[], opts: ContractOptions = {}): Promise<ContractResult> {
  const data = blobs(48);
  const own = opts.model?.data();
  const model = opts.model ? (seed: number) => opts.model!.build(seed) : (seed: number) => bnDropoutModel(seed);
  const result: ContractResult = { checks: [], ms: {} };
  const now = () => (globalThis.performance ? globalThis.performance.now() : Date.now());
  try {
    for (const entry of opts.entries ?? CONTRACT_ENTRIES) {
      const check: Check = (message, actual, expected) => void result.checks.push({ entry, message, actual, expected, pass: sameValue(actual, expected) });
      const start = now();
      try {
        const blobData = { x: data.x, y: data.y };
        await RUNNERS[entry]({ plugins, opts, lr: opts.learningRate ?? 0.05, data: own ?? blobData, blobs: blobData, model, check });
      } catch (err) {
        // recorded, so that the other entry points still run and a page can report it as data
        check(`${entry}: runs without throwing`, err instanceof Error ? (err.stack ?? err.message) : String(err), "no error");
      }
      result.ms[entry] = now() - start;
    }
  } finally {
    tf.dispose([data.x, data.y, ...(own ? [own.x, own.y] : [])]);
  }
  return result;
}

/** Asserts every check of a contract result with AVA (`t.deepEqual`, message = the check's). */
export function assertContract(t: ExecutionContext, result: ContractResult): void {
  for (const c of result.checks) {
    if (c.pass) t.pass(c.message);
    // a difference AVA's comparison does not see (−0 vs 0) is still a failure
    else if (t.deepEqual(c.actual, c.expected, c.message)) t.fail(`${c.message}: ${String(c.actual)} is not ${String(c.expected)} (Object.is)`);
  }
}

/**
 * The fit contract, asserted with AVA: `await checkFitContract(t, [{ use: MyPlugin, … }])`.
 * `checkFitContract.run(plugins, opts)` is `runFitContract` (checks as data, no AVA: what a
 * browser page calls), `checkFitContract.assert(t, result)` asserts such a result with AVA.
 */
export const checkFitContract = Object.assign(
  async function checkFitContract(t: ExecutionContext, plugins: PluginSpec[], opts: ContractOptions = {}): Promise<void> {
    assertContract(t, await runFitContract(plugins, opts));
  },
  { run: runFitContract, assert: assertContract, entries: CONTRACT_ENTRIES },
);
