/**
 * Hessian trace by Hutchinson's method: the mean of `samples` independent Rademacher samples
 * vᵀHv, each from a finite-difference Hessian-vector product. By default forward differences
 * with ∇L(W) computed once and shared: one gradient evaluation per probe (relative error of a
 * product ≈ 4e-4, far below the Monte-Carlo error; exact on quadratics). `method: "central"`
 * costs two per probe (≈ 1e-5). The standard error is the samples' std (n − 1) over √n.
 *
 * `rejectKinks` is for piecewise-linear (ReLU) networks: each probe is measured from both sides
 * with ∇L(W) shared (two gradients per probe; the value is their mean, the central difference),
 * and a probe whose sides disagree — the ±εv step switches some unit on one side only, which adds
 * a term of order 1/ε — is redrawn and counted in `rejected`, up to `maxDraws` draws in all.
 */
import * as tf from "@tensorflow/tfjs";
import { preserveOtherVariables, RandomSource } from "@flatfit/core";
import type { HvpChoice } from "./hvp";
import { closureObjective, type Objective } from "./objective";
import { hutchinsonSample, rademacherProbe, sidesAgree, twoSidedSample } from "./probes";
import { meanAndStdError } from "./stats";

export interface TraceOptions extends HvpChoice {
  /** Number of Rademacher probes (default 10). */
  samples?: number;
  /** Seed of the probes (default: a random one). */
  seed?: number;
  /** Measure each probe from both sides and redraw those whose sides disagree (a kink); default false. */
  rejectKinks?: boolean;
  /** With `rejectKinks`: most probes drawn in all, accepted or not (default 5·samples); fewer samples are kept when it is reached. */
  maxDraws?: number;
}

export interface TraceResult {
  value: number;
  stdError: number;
  /** Probes redrawn because their two sides disagreed (always 0 without `rejectKinks`). */
  rejected: number;
}

function positiveInt(value: number | undefined, fallback: number, what: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer (got ${value})`);
  return n;
}

/** Reads a small tensor back and disposes it. */
async function read(t: tf.Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
  try {
    return await t.data();
  } finally {
    t.dispose();
  }
}

/** Hutchinson trace estimate of the objective's Hessian; also returns every accepted sample. */
export async function traceOf(objective: Objective, opts: TraceOptions = {}): Promise<TraceResult & { samples: number[] }> {
  const n = positiveInt(opts.samples, 10, "hessianTrace: samples");
  const rejectKinks = opts.rejectKinks ?? false;
  if (rejectKinks && opts.method !== undefined)
    throw new RangeError(`hessianTrace: leave "method" out with rejectKinks (both one-sided differences are measured; their mean is the central difference), got method "${opts.method}"`);
  const maxDraws = positiveInt(opts.maxDraws, 5 * n, "hessianTrace: maxDraws");
  if (maxDraws < n) throw new RangeError(`hessianTrace: maxDraws must be ≥ samples (${n}), got ${maxDraws}`);
  const random = new RandomSource(opts.seed);
  const method = opts.method ?? "forward";
  const values: number[] = [];
  let rejected = 0;
  // one-sided differences: ∇L(W) once for all probes
  const grads =
    method === "forward" ? preserveOtherVariables(new Set(objective.variables), () => tf.tidy(() => objective.oracle().grads)) : undefined;
  try {
    if (rejectKinks) {
      for (let draws = 0; values.length < n && draws < maxDraws; draws++) {
        const [a, b] = await read(tf.tidy(() => twoSidedSample(objective, rademacherProbe(objective.variables, random), { relativeStep: opts.relativeStep, grads: grads! })));
        if (sidesAgree(a, b)) values.push((a + b) / 2);
        else rejected++;
      }
    } else {
      for (let k = 0; k < n; k++) {
        values.push((await read(tf.tidy(() => hutchinsonSample(objective, rademacherProbe(objective.variables, random), { ...opts, method, grads }))))[0]);
      }
    }
  } finally {
    if (grads) tf.dispose(Object.values(grads));
  }
  const { mean, stdError } = meanAndStdError(values);
  return { value: mean, stdError, rejected, samples: values };
}

/**
 * tr(∇²L) of the loss closure over `vars`, by Hutchinson's method with Rademacher probes.
 * `stdError` is the Monte-Carlo standard error (NaN with a single sample).
 */
export async function hessianTrace(
  loss: () => tf.Scalar,
  vars: tf.Variable[],
  opts: TraceOptions = {},
): Promise<TraceResult> {
  const { value, stdError, rejected } = await traceOf(closureObjective(loss, vars), opts);
  return { value, stdError, rejected };
}
