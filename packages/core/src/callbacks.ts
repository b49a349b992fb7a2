/**
 * The callback to pass to `model.fit`: it tells steps their epoch and batch, runs the
 * `epochEnd` hook, and with validation data runs the `eval` hook so that every variant's
 * metrics land in the epoch logs (`val_acc@4bit`) where History and early stopping see them.
 * Put it first in `callbacks` so that later callbacks see what it adds.
 */
import * as tf from "@tensorflow/tfjs";
import type { EpochContext } from "./context";
import { evaluateVariants, variantLogKey } from "./evaluate";
import type { FlatfitHooks } from "./hooks";
import type { Logger } from "./logger";
import type { RandomSource } from "./random";
import type { StepEngine } from "./step";

export interface CallbackOptions {
  /** Data to evaluate each variant on at the end of every epoch: [x, y]. */
  validationData?: [tf.Tensor | tf.Tensor[], tf.Tensor | tf.Tensor[]];
  /** Batch size of those evaluations (default 256). */
  batchSize?: number;
}

export class FlatfitCallback extends tf.Callback {
  constructor(
    private readonly hooks: FlatfitHooks,
    private readonly engine: StepEngine,
    private readonly random: RandomSource,
    private readonly logger: Logger,
    private readonly opts: CallbackOptions,
  ) {
    super();
    const vd = opts.validationData;
    if (vd !== undefined && (!Array.isArray(vd) || vd.length !== 2)) {
      throw new TypeError("callbacks({validationData}): expected [x, y] tensors");
    }
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.engine.epoch = epoch;
  }

  override async onBatchBegin(batch: number): Promise<void> {
    this.engine.batch = batch;
  }

  override async onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void> {
    const model = this.model as tf.LayersModel;
    const epochLogs = (logs ?? {}) as Record<string, number>;
    const ctx: EpochContext = {
      epoch,
      logs: epochLogs,
      model,
      validationData: this.opts.validationData,
      random: this.random,
      logger: this.logger,
    };
    await this.hooks.epochEnd.promise(ctx);
    const vd = this.opts.validationData;
    if (vd && this.hooks.eval.isUsed()) {
      const rows = await evaluateVariants(this.hooks, this.logger, model, vd[0], vd[1], this.opts.batchSize);
      for (const row of rows.slice(1)) {
        epochLogs[variantLogKey("loss", row.variant)] = row.loss;
        for (const [name, value] of Object.entries(row.metrics)) epochLogs[variantLogKey(name, row.variant)] = value;
      }
    }
  }
}
