/**
 * The callback to pass to `model.fit` / `model.fitDataset`: it tells steps their epoch and batch,
 * runs the `epochEnd` hook, and with validation data runs the `eval` hook so that every variant's
 * metrics land in the epoch logs (`val_acc@4bit`) where History and early stopping see them.
 * Put it first in `callbacks` so that later callbacks see what it adds.
 */
import * as tf from "@tensorflow/tfjs";
import type { EpochContext } from "./context";
import { isDataset, materialize, type TensorPair } from "./dataset";
import { evaluateVariants, variantLogKey } from "./evaluate";
import type { FlatfitHooks } from "./hooks";
import type { Logger } from "./logger";
import type { RandomSource } from "./random";
import type { StepEngine } from "./step";

/** Validation data: `[x, y]` tensors, or a `tf.data.Dataset` of `{xs, ys}` (or `[xs, ys]`) batches. */
export type Validation = TensorPair | tf.data.Dataset<tf.TensorContainer>;

export interface CallbackOptions {
  /** Data to evaluate each variant on at the end of every epoch: [x, y] tensors or a Dataset. */
  validationData?: Validation;
  /** Batch size of those evaluations (default 256). */
  batchSize?: number;
  /**
   * For a Dataset: read at most this many batches of it (as `fitDataset`'s `validationBatches`;
   * needed for a Dataset without end). Default: to its end.
   */
  validationBatches?: number;
}

const BRAND = Symbol.for("flatfit.callback");
const LIST_PATCH = Symbol.for("flatfit.callbackLists");

/** Whether `c` is flatfit's callback (of any copy of this package). */
export function isFlatfitCallback(c: unknown): c is FlatfitCallback {
  return typeof c === "object" && c !== null && (c as Record<symbol, unknown>)[BRAND] === true;
}

/** Whether tfjs can use `c` as a callback object as it is (a `tf.Callback`, or anything with its methods). */
function isCallbackObject(c: unknown): boolean {
  return (
    c instanceof tf.Callback ||
    (typeof c === "object" && c !== null && typeof (c as tf.Callback).setModel === "function" && typeof (c as tf.Callback).setParams === "function")
  );
}

/**
 * fit's `callbacks` argument as a list of callback objects: every shape tfjs accepts (one callback,
 * one plain `{onEpochEnd, …}` object, a list of either), and lists that mix the two, which tfjs
 * itself does not handle (a callback object first: the plain ones lack `setParams`; a plain one
 * first: the callback objects are wrapped as plain ones and called without their `this`).
 * Plain objects become `tf.CustomCallback`s with fit's `yieldEvery`, as tfjs makes them.
 */
export function asCallbackList(cbs: tf.ModelFitArgs["callbacks"], yieldEvery?: tf.ModelFitArgs["yieldEvery"]): tf.Callback[] {
  if (cbs == null) return [];
  const list = (Array.isArray(cbs) ? cbs : [cbs]) as unknown[];
  return list.map((c) => (isCallbackObject(c) ? c : new tf.CustomCallback(c as tf.CustomCallbackArgs, yieldEvery))) as tf.Callback[];
}

/** fit / fitDataset arguments whose callback list holds flatfit's callback, as a list tfjs runs right. */
function withCallbackList<A extends { callbacks?: tf.ModelFitArgs["callbacks"]; yieldEvery?: tf.ModelFitArgs["yieldEvery"] }>(args: A | undefined): A | undefined {
  const cbs = args?.callbacks;
  if (!Array.isArray(cbs) || !cbs.some(isFlatfitCallback) || cbs.every(isCallbackObject)) return args;
  return { ...args!, callbacks: asCallbackList(cbs, args!.yieldEvery) };
}

/**
 * Makes `fit` and `fitDataset` of every LayersModel (a Sequential trains through one) accept flatfit's
 * callback beside plain callback objects, in any order: `callbacks: [ff.callbacks(), {onEpochEnd}]`.
 * Lists without flatfit's callback reach tfjs untouched. Installed once, when the first callback is made.
 */
function acceptMixedCallbackLists(): void {
  const proto = tf.LayersModel.prototype as tf.LayersModel & Record<symbol, unknown>;
  if (proto[LIST_PATCH]) return;
  const fit = proto.fit;
  const fitDataset = proto.fitDataset;
  proto.fit = function (this: tf.LayersModel, x, y, args) {
    return fit.call(this, x, y, withCallbackList(args));
  } as typeof fit;
  proto.fitDataset = function (this: tf.LayersModel, dataset, args) {
    return fitDataset.call(this, dataset, withCallbackList(args)!);
  } as typeof fitDataset;
  proto[LIST_PATCH] = true;
}

export class FlatfitCallback extends tf.Callback {
  readonly [BRAND] = true;
  /** The validation data as tensors (a Dataset is read once per training run, on first use). */
  private tensors?: TensorPair;
  private owned: tf.Tensor[] = [];

  constructor(
    private readonly hooks: FlatfitHooks,
    private readonly engine: StepEngine,
    private readonly random: RandomSource,
    private readonly logger: Logger,
    private readonly opts: CallbackOptions,
    private readonly bind: (model: tf.LayersModel) => void = () => {},
  ) {
    super();
    acceptMixedCallbackLists();
    const vd = opts.validationData;
    if (vd !== undefined && !isDataset(vd) && (!Array.isArray(vd) || vd.length !== 2)) {
      throw new TypeError("callbacks({validationData}): expected [x, y] tensors or a tf.data.Dataset of {xs, ys} batches");
    }
    if (vd !== undefined && !isDataset(vd)) this.tensors = vd as TensorPair;
    const vb = opts.validationBatches;
    if (vb !== undefined && !(Number.isInteger(vb) && vb > 0)) throw new RangeError(`callbacks({validationBatches}): expected an integer > 0 (got ${String(vb)})`);
  }

  override async onTrainBegin(): Promise<void> {
    this.bind(this.model as tf.LayersModel);
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.engine.epoch = epoch;
  }

  override async onBatchBegin(batch: number): Promise<void> {
    this.engine.batch = batch;
  }

  override async onTrainEnd(): Promise<void> {
    this.engine.kept.flush();
    tf.dispose(this.owned);
    this.owned = [];
    if (isDataset(this.opts.validationData)) this.tensors = undefined;
  }

  private async validation(): Promise<TensorPair | undefined> {
    const vd = this.opts.validationData;
    if (this.tensors === undefined && isDataset(vd)) {
      const { pair, tensors } = await materialize(vd, this.opts.validationBatches ?? Infinity);
      this.tensors = pair;
      this.owned.push(...tensors);
    }
    return this.tensors;
  }

  override async onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void> {
    const model = this.model as tf.LayersModel;
    const epochLogs = (logs ?? {}) as Record<string, number>;
    const wantsData = this.opts.validationData !== undefined && (this.hooks.epochEnd.taps.length > 0 || this.hooks.eval.taps.length > 0);
    const vd = wantsData ? await this.validation() : undefined;
    const ctx: EpochContext = {
      epoch,
      logs: epochLogs,
      model,
      validationData: vd,
      random: this.random,
      logger: this.logger,
    };
    await this.hooks.epochEnd.promise(ctx);
    if (vd && this.hooks.eval.taps.length > 0) {
      const rows = await evaluateVariants(this.hooks, this.logger, model, vd[0], vd[1], this.opts.batchSize);
      for (const row of rows.slice(1)) {
        epochLogs[variantLogKey("loss", row.variant)] = row.loss;
        for (const [name, value] of Object.entries(row.metrics)) epochLogs[variantLogKey(name, row.variant)] = value;
      }
    }
  }
}
