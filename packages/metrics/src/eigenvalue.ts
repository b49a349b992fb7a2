/**
 * The dominant Hessian eigenvalue by power iteration on finite-difference Hessian-vector
 * products: v ← Hv/‖Hv‖, λ = vᵀHv (Rayleigh quotient), stopped when λ changes by less than
 * `tolerance` relative to |λ|. Power iteration converges to the eigenvalue of largest MAGNITUDE:
 * where the Hessian has a negative eigenvalue larger in magnitude than its largest positive one
 * (away from a minimum), the returned value is that negative eigenvalue.
 */
import * as tf from "@tensorflow/tfjs";
import { dotNamed, globalNorm, preserveOtherVariables, RandomSource } from "@flatfit/core";

import { objectiveHvp, type HvpChoice } from "./hvp";
import { closureObjective, type Objective } from "./objective";

export interface EigenOptions extends HvpChoice {
  /** Maximum number of power iterations (default 100); each costs one Hessian-vector product. */
  iterations?: number;
  /** Stop when |λ_k − λ_{k−1}| ≤ tolerance·|λ_k| (default 1e-4). */
  tolerance?: number;
  /** Seed of the random start vector (default: a random one). */
  seed?: number;
}

export interface EigenResult {
  value: number;
  iterations: number;
}

/** Power iteration on the objective's Hessian; also returns whether the tolerance was met. */
export async function maxEigenvalueOf(objective: Objective, opts: EigenOptions = {}): Promise<EigenResult & { converged: boolean }> {
  const maxIter = opts.iterations ?? 100;
  const tol = opts.tolerance ?? 1e-4;
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new RangeError(`hessianMaxEigenvalue: iterations must be a positive integer (got ${opts.iterations})`);
  if (!(tol >= 0)) throw new RangeError(`hessianMaxEigenvalue: tolerance must be ≥ 0 (got ${opts.tolerance})`);
  const random = new RandomSource(opts.seed);
  const normalize = (m: tf.NamedTensorMap): tf.NamedTensorMap => {
    const norm = tf.maximum(globalNorm(m), 1e-30);
    return Object.fromEntries(Object.entries(m).map(([k, t]) => [k, tf.div(t, norm)]));
  };
  let v = tf.tidy(() => {
    const raw: tf.NamedTensorMap = {};
    for (const w of objective.variables) raw[w.name] = random.normal(w.shape);
    return normalize(raw);
  });
  let lambda = NaN;
  let k = 0;
  let converged = false;
  try {
    while (k < maxIter) {
      k++;
      const current = v;
      const step = preserveOtherVariables(new Set(objective.variables), () =>
        tf.tidy(() => {
          const hv = objectiveHvp(objective, current, opts);
          return { lambda: dotNamed(current, hv), norm: globalNorm(hv), next: normalize(hv) };
        }),
      );
      const [lam, norm] = await Promise.all([step.lambda.data(), step.norm.data()]);
      tf.dispose([step.lambda, step.norm]);
      tf.dispose(Object.values(v));
      v = step.next;
      const previous = lambda;
      lambda = lam[0];
      if (norm[0] === 0) {
        converged = true; // H·v = 0: v lies in the null space; nothing larger to find from here
        break;
      }
      if (k > 1 && Math.abs(lambda - previous) <= tol * Math.abs(lambda)) {
        converged = true;
        break;
      }
    }
  } finally {
    tf.dispose(Object.values(v));
  }
  return { value: lambda, iterations: k, converged };
}

/**
 * The Hessian eigenvalue of largest magnitude of the loss closure over `vars` (power iteration;
 * see the module notes: largest |λ|, returned with its sign).
 */
export async function hessianMaxEigenvalue(
  loss: () => tf.Scalar,
  vars: tf.Variable[],
  opts: EigenOptions = {},
): Promise<EigenResult> {
  const { value, iterations } = await maxEigenvalueOf(closureObjective(loss, vars), opts);
  return { value, iterations };
}
