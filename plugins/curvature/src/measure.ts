/**
 * One curvature measurement of a model on data: the Hessian of the mean compiled loss over the
 * samples given (inference mode; gradients accumulated over batches), so every figure is of ONE
 * Hessian — never an average of per-batch figures.
 */
import type * as tf from "@tensorflow/tfjs";
import { maxEigenvalueOf, modelObjective, pacGenOf, traceOf } from "@flatfit/metrics";
import type { CurvatureOptions } from "./options";

export interface CurvatureFigures {
  trace?: number;
  traceStdError?: number;
  /** Probes redrawn because they crossed a kink (with `rejectKinks`). */
  traceRejected?: number;
  maxEigenvalue?: number;
  /** Power iterations used. */
  iterations?: number;
  /** pacGen Ψ and the ρ it used. */
  pacGen?: number;
  pacGenRho?: number;
}

export async function measureCurvature(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor | tf.Tensor[],
  opts: CurvatureOptions,
  seeds: { trace: number; eigen: number; pacGen?: number },
  /** pacGen's h, one tensor per trainable weight of the model in order (default: g² on the data). */
  secondMoment?: readonly tf.Tensor[],
): Promise<CurvatureFigures> {
  const objective = modelObjective(model, x, y, { batchSize: opts.batchSize, maxSamples: opts.maxSamples });
  const out: CurvatureFigures = {};
  if (opts.measures.includes("trace")) {
    const scheme = opts.rejectKinks ? { rejectKinks: true } : { method: opts.hvp };
    const r = await traceOf(objective, { samples: opts.samples, seed: seeds.trace, relativeStep: opts.relativeStep, ...scheme });
    out.trace = r.value;
    out.traceStdError = r.stdError;
    if (opts.rejectKinks) out.traceRejected = r.rejected;
  }
  if (opts.measures.includes("maxEigenvalue")) {
    const r = await maxEigenvalueOf(objective, { iterations: opts.iterations, tolerance: opts.tolerance, seed: seeds.eigen, method: opts.hvp, relativeStep: opts.relativeStep });
    out.maxEigenvalue = r.value;
    out.iterations = r.iterations;
  }
  if (opts.measures.includes("pacGen")) {
    const p = opts.pacGen;
    const r = await pacGenOf(objective, {
      gamma: p.gamma,
      epsilon: p.epsilon,
      probes: p.probes,
      perturbation: p.perturbation,
      relativeStep: opts.relativeStep,
      seed: seeds.pacGen ?? seeds.trace + 2,
      secondMoment,
    });
    out.pacGen = r.value;
    out.pacGenRho = r.rho;
  }
  return out;
}
