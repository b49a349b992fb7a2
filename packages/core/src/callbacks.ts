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

export class FlatfitCallback extends tf.Callback {
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
