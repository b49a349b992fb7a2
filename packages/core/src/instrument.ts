/**
 * `attach(model)` instruments `model.fit` and `model.fitDataset` (on that model instance only)
 * so that every training run gets flatfit's callback first in its list, fed with the run's own
 * validation data: `validationData` (tensors or, for fitDataset, a Dataset) or, for `fit`, the
 * same `validationSplit` slice that tfjs validates on. The user's calls stay as they were.
 * (`trainOnBatch` needs nothing here: it calls the wrapped optimizer, one step per call.)
 */
import * as tf from "@tensorflow/tfjs";
import { asCallbackList, isFlatfitCallback, type FlatfitCallback, type Validation } from "./callbacks";

const ORIGINAL_FIT = Symbol.for("flatfit.originalFit");
const ORIGINAL_COMPILE = Symbol.for("flatfit.originalCompile");
const ORIGINAL_FIT_DATASET = Symbol.for("flatfit.originalFitDataset");
type Fit = tf.LayersModel["fit"];
type FitDataset = tf.LayersModel["fitDataset"];
type Compile = tf.LayersModel["compile"];
type Instrumented = tf.LayersModel & { [ORIGINAL_FIT]?: Fit; [ORIGINAL_FIT_DATASET]?: FitDataset; [ORIGINAL_COMPILE]?: Compile };
type Inputs = tf.Tensor | tf.Tensor[] | { [name: string]: tf.Tensor };

/** The inputs as a list in the model's input order (tfjs accepts a tensor, a list, or a map by input name). */
function asList(model: tf.LayersModel, x: Inputs, names: string[]): tf.Tensor[] {
  if (x instanceof tf.Tensor) return [x];
  if (Array.isArray(x)) return x;
  return names.map((n) => {
    const t = (x as Record<string, tf.Tensor>)[n];
    if (t === undefined) throw new Error(`fit: no data for "${n}" of model "${model.name}"`);
    return t;
  });
}

/** The rows tfjs's `fit` validates on for `validationSplit`: the last ⌊n·split⌋… of the data, as tfjs slices them. */
export function validationSplitOf(model: tf.LayersModel, x: Inputs, y: Inputs, split: number): [tf.Tensor[], tf.Tensor[]] {
  const xs = asList(model, x, model.inputNames);
  const ys = asList(model, y, model.outputNames);
  const n = xs[0].shape[0];
  const at = Math.floor(n * (1 - split));
  const tail = (t: tf.Tensor) => tf.slice(t, at, n - at);
  return [xs.map(tail), ys.map(tail)];
}

export function instrumentFit(model: tf.LayersModel, makeCallback: (validation?: Validation, validationBatches?: number) => FlatfitCallback): void {
  const m = model as Instrumented;
  const fit: Fit = m[ORIGINAL_FIT] ?? m.fit;
  const fitDataset: FitDataset = m[ORIGINAL_FIT_DATASET] ?? m.fitDataset;
  m[ORIGINAL_FIT] = fit;
  m[ORIGINAL_FIT_DATASET] = fitDataset;

  m.fit = async function (this: tf.LayersModel, x, y, args: tf.ModelFitArgs = {}) {
    const callbacks = asCallbackList(args.callbacks, args.yieldEvery);
    if (callbacks.some(isFlatfitCallback)) return fit.call(model, x, y, { ...args, callbacks });
    const vd = args.validationData;
    let validation: Validation | undefined;
    let sliced: tf.Tensor[] = [];
    if (Array.isArray(vd) && vd.length >= 2) validation = [vd[0], vd[1]] as Validation;
    else if (args.validationSplit != null && args.validationSplit > 0 && args.validationSplit < 1) {
      const [xs, ys] = validationSplitOf(model, x as Inputs, y as Inputs, args.validationSplit);
      sliced = [...xs, ...ys];
      validation = [xs.length === 1 ? xs[0] : xs, ys.length === 1 ? ys[0] : ys];
    }
    try {
      return await fit.call(model, x, y, { ...args, callbacks: [makeCallback(validation), ...callbacks] });
    } finally {
      tf.dispose(sliced);
    }
  } as Fit;

  m.fitDataset = function (this: tf.LayersModel, dataset, args) {
    const callbacks = asCallbackList(args.callbacks, args.yieldEvery);
    if (callbacks.some(isFlatfitCallback)) return fitDataset.call(model, dataset, { ...args, callbacks });
    const vd = args.validationData as unknown;
    const validation = vd == null ? undefined : Array.isArray(vd) ? ([vd[0], vd[1]] as Validation) : (vd as Validation);
    // validationBatches bounds how much of a validation Dataset is read, as it does for tfjs
    const batches = validation !== undefined && !Array.isArray(validation) ? (args.validationBatches ?? undefined) : undefined;
    return fitDataset.call(model, dataset, { ...args, callbacks: [makeCallback(validation, batches), ...callbacks] });
  } as FitDataset;
}

/**
 * Makes every later `model.compile` of this model instance run `afterCompile` once tfjs has compiled
 * it (attach wraps the new optimizer there: recompiling with a fresh optimizer keeps the plugins on).
 */
export function instrumentCompile(model: tf.LayersModel, afterCompile: () => void): void {
  const m = model as Instrumented;
  const compile: Compile = m[ORIGINAL_COMPILE] ?? m.compile;
  m[ORIGINAL_COMPILE] = compile;
  m.compile = function (this: tf.LayersModel, args: tf.ModelCompileArgs) {
    compile.call(model, args);
    afterCompile();
  } as Compile;
}
