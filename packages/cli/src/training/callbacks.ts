/**
 * The fit callbacks of a run, around `ff.callbacks()`:
 *   EpochTimer (first) — wall time of each epoch's training and fit's validation, before the
 *     epoch-end work of plugins (curvature measurements, quantized evaluations) starts;
 *   Recorder (after ff.callbacks, so it sees what plugins add to the epoch logs) — the history
 *     as plain numbers, running batch means for the progress bar, and whether the last epoch was
 *     cut short by an interrupt.
 */
import * as tf from "@tensorflow/tfjs";
import type { ProgressSink } from "../progress";

export type EpochLogs = Record<string, number>;

async function toNumber(v: unknown): Promise<number | undefined> {
  if (typeof v === "number") return v;
  if (v instanceof tf.Tensor) return (await v.data())[0];
  return undefined;
}

/** The logs as numbers (tfjs passes Scalars to tf.Callback subclasses); the tensors are left to fit. */
export async function numericLogs(logs: tf.Logs | undefined, skip: string[] = []): Promise<EpochLogs> {
  const out: EpochLogs = {};
  for (const [k, v] of Object.entries(logs ?? {})) {
    if (skip.includes(k)) continue;
    const n = await toNumber(v);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

export class EpochTimer extends tf.Callback {
  private started = 0;
  last = 0;
  override async onEpochBegin(): Promise<void> {
    this.started = performance.now();
  }
  override async onEpochEnd(): Promise<void> {
    this.last = (performance.now() - this.started) / 1000;
  }
}

export class Recorder extends tf.Callback {
  readonly history: EpochLogs[] = [];
  readonly secondsPerEpoch: number[] = [];
  partialEpoch?: { epoch: number; batches: number; logs: EpochLogs };
  private sums: Record<string, number> = {};
  private seen = 0;
  private done = 0;
  private currentEpoch = 0;

  constructor(
    private readonly job: string,
    private readonly epochs: number,
    private readonly batches: number,
    private readonly timer: EpochTimer,
    private readonly progress?: ProgressSink,
    /** A resumed run's epochs so far: the history continues from them. */
    before?: { history: EpochLogs[]; secondsPerEpoch: number[] },
  ) {
    super();
    if (before) {
      this.history.push(...before.history);
      this.secondsPerEpoch.push(...before.secondsPerEpoch);
    }
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.currentEpoch = epoch;
    this.sums = {};
    this.seen = 0;
    this.done = 0;
  }

  override async onBatchEnd(batch: number, logs?: tf.Logs): Promise<void> {
    const values = await numericLogs(logs, ["batch", "size"]);
    const size = typeof logs?.size === "number" ? logs.size : 1;
    for (const [k, v] of Object.entries(values)) this.sums[k] = (this.sums[k] ?? 0) + v * size;
    this.seen += size;
    this.done = batch + 1;
    if (!this.progress) return;
    const means = Object.fromEntries(Object.entries(this.sums).map(([k, s]) => [k, s / this.seen]));
    this.progress({ type: "batch", job: this.job, epoch: this.currentEpoch, epochs: this.epochs, batch, batches: this.batches, logs: means });
  }

  override async onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void> {
    const values = await numericLogs(logs);
    const partial = this.done < this.batches;
    if (partial) this.partialEpoch = { epoch, batches: this.done, logs: values };
    else {
      this.history.push(values);
      this.secondsPerEpoch.push(this.timer.last);
    }
    this.progress?.({ type: "epoch", job: this.job, epoch, epochs: this.epochs, logs: values, seconds: this.timer.last, partial });
  }

  override async onTrainEnd(): Promise<void> {
    this.progress?.({ type: "end", job: this.job });
  }
}
