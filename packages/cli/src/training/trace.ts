/**
 * The Hessian trace the CLI reports: Hutchinson's estimate with Rademacher probes on a fixed
 * data subset, each probe's vᵀHv from finite differences of gradients (@flatfit/metrics'
 * objective and Hessian-vector product) — with a guard for ReLU kinks.
 *
 * A finite difference that crosses a ReLU kink (a unit switching on or off between W and W ± εv)
 * is off by (jump in the gradient)/ε, which grows as ε shrinks. On the trained example CNNs this
 * turned single probes into values of −23,000 or +870 around traces of 20–45; with BatchNorm,
 * units that sit exactly at a kink for the many all-zero MNIST patches make it common. So each
 * probe is measured from both sides — a = vᵀ(∇L(W+εv) − ∇L(W))/ε and b = vᵀ(∇L(W) − ∇L(W−εv))/ε,
 * whose mean is the central difference — and a probe whose two sides disagree by more than half
 * the larger of them is a probe along which the Hessian is not defined: it is redrawn and counted.
 * Cost: two gradients per probe plus one shared gradient at W.
 */
import * as tf from "@tensorflow/tfjs";
import { dotNamed, RandomSource } from "@flatfit/core";
import { modelObjective, objectiveHvp, rademacherProbe } from "@flatfit/metrics";

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

/** Whether the two one-sided estimates of vᵀHv agree (no kink along the probe). */
export function sidesAgree(a: number, b: number): boolean {
  return Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= 0.5 * Math.max(Math.abs(a), Math.abs(b));
}

export async function modelTrace(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, opts: TraceOptions): Promise<TraceRecord> {
  const maxSamples = Math.min(opts.maxSamples, x.shape[0]);
  const objective = modelObjective(model, x, y, { maxSamples, batchSize: opts.batchSize });
  const random = new RandomSource(opts.seed);
  const at = objective.oracle();
  const hvp = { method: "forward" as const, relativeStep: opts.relativeStep, grads: at.grads };
  const values: number[] = [];
  let rejected = 0;
  try {
    for (let draws = 0; values.length < opts.samples && draws < 5 * opts.samples; draws++) {
      const sides = tf.tidy(() => {
        const v = rademacherProbe(objective.variables, random);
        const minus = Object.fromEntries(Object.entries(v).map(([k, t]) => [k, tf.neg(t)]));
        return tf.stack([dotNamed(v, objectiveHvp(objective, v, hvp)), dotNamed(minus, objectiveHvp(objective, minus, hvp))]);
      });
      const [a, b] = await sides.data();
      sides.dispose();
      if (sidesAgree(a, b)) values.push((a + b) / 2);
      else rejected++;
    }
  } finally {
    tf.dispose([at.loss, ...Object.values(at.grads)]);
  }
  const n = values.length;
  const mean = n ? values.reduce((s, v) => s + v, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : NaN;
  return { value: mean, stdError: sd / Math.sqrt(n), samples: n, rejected, maxSamples, relativeStep: opts.relativeStep };
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
