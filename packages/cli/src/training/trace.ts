/**
 * The Hessian trace the CLI reports: Hutchinson's estimate with Rademacher probes on a fixed
 * data subset, from finite differences of gradients — with @flatfit/metrics' guard for ReLU
 * kinks (`rejectKinks`).
 *
 * A finite difference that crosses a ReLU kink (a unit switching on or off between W and W ± εv)
 * is off by (jump in the gradient)/ε, which grows as ε shrinks. On the trained example CNNs this
 * turned single probes into values of −23,000 or +870 around traces of 20–45; with BatchNorm,
 * units that sit exactly at a kink for the many all-zero MNIST patches make it common. So each
 * probe is measured from both sides and a probe whose sides disagree is redrawn and counted.
 * Cost: two gradients per probe plus one shared gradient at W.
 */
import * as tf from "@tensorflow/tfjs";
import { modelObjective, traceOf } from "@flatfit/metrics";

export interface TraceOptions {
  samples: number;
  maxSamples: number;
  batchSize: number;
  seed: number;
  relativeStep: number;
}

export interface TraceRecord {
  value: number;
  /** Monte-Carlo standard error over the accepted probes. */
  stdError: number;
  samples: number;
  /** Probes redrawn because their forward and backward differences disagreed (a kink). */
  rejected: number;
  maxSamples: number;
  relativeStep: number;
}

export async function modelTrace(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, opts: TraceOptions): Promise<TraceRecord> {
  const maxSamples = Math.min(opts.maxSamples, x.shape[0]);
  const objective = modelObjective(model, x, y, { maxSamples, batchSize: opts.batchSize });
  const r = await traceOf(objective, { samples: opts.samples, seed: opts.seed, relativeStep: opts.relativeStep, rejectKinks: true });
  return { value: r.value, stdError: r.stdError, samples: r.samples.length, rejected: r.rejected, maxSamples, relativeStep: opts.relativeStep };
}

/**
 * Measures the trace after every epoch on the first `maxSamples` validation examples (with
 * `probes` probes) and adds `hessian_trace` and `hessian_trace_se` to the epoch logs, where the
 * history, the progress line and the report's per-epoch chart see them.
 */
export class EpochTraceCallback extends tf.Callback {
  constructor(
    private readonly data: { x: tf.Tensor; y: tf.Tensor },
    private readonly opts: TraceOptions,
  ) {
    super();
  }

  override async onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void> {
    if (!logs) return;
    const r = await modelTrace(this.model as tf.LayersModel, this.data.x, this.data.y, { ...this.opts, seed: this.opts.seed + 1000 * (epoch + 1) });
    logs.hessian_trace = r.value;
    logs.hessian_trace_se = r.stdError;
  }
}
