/**
 * What the SAM family shares: the ascent step (evaluate the gradient at W + ε and put W back),
 * the normalized direction ρ·d/‖d‖ with one norm over all variables, and seeded noise draws.
 * Everything stays a tensor (no host reads); weights move only through `ctx.evaluateAt`, which
 * restores them bit-exactly and keeps BatchNorm statistics as one clean evaluation leaves them.
 */
import * as tf from "@tensorflow/tfjs";
import { disposeNamed, globalNorm, scaleNamed, z, type GradientOracle, type GradientResult, type StepContext } from "@flatfit/core";

/** Norms below this count as zero: a zero gradient gives a zero perturbation, not NaN. */
export const TINY = 1e-12;

/** Standard-deviation-matched noise shapes (all three have standard deviation sigma). */
export const NOISE_DISTRIBUTIONS = ["gaussian", "laplace", "uniform"] as const;
export type NoiseDistribution = (typeof NOISE_DISTRIBUTIONS)[number];

/** The neighbourhood radius ρ of an ascent step: a number > 0, with the papers' values in the message. */
export const radius = (defaultValue: number, papers: string) =>
  z.number().gt(0, { message: `expected a number > 0 (the radius ρ; ${papers})` }).default(defaultValue);

/** A noise standard deviation σ: a number > 0. */
export const noiseStd = (defaultValue: number, papers: string) =>
  z.number().gt(0, { message: `expected a number > 0 (the noise standard deviation σ; ${papers})` }).default(defaultValue);

/** c / max(n, TINY), as a scalar tensor. */
export function over(c: number, n: tf.Scalar): tf.Scalar {
  return tf.tidy(() => tf.div(c, tf.maximum(n, TINY)));
}

/** ρ · d / ‖d‖₂, one norm over every entry of every tensor of `d` (zero where d is zero). */
export function normalizedDirection(d: tf.NamedTensorMap, rho: number): tf.NamedTensorMap {
  const n = globalNorm(d);
  const c = over(rho, n);
  const out = scaleNamed(d, c);
  tf.dispose([n, c]);
  return out;
}

/**
 * ∇L(W + ε) through `oracle`, with the weights put back afterwards; `offsets` (ε) are disposed.
 * Returns the loss and gradients at W + ε.
 */
export function gradientAt(ctx: StepContext, offsets: tf.NamedTensorMap, oracle: GradientOracle): GradientResult {
  try {
    return ctx.evaluateAt(offsets, oracle);
  } finally {
    disposeNamed(offsets);
  }
}

/**
 * The SAM-type step: g = ∇L(W) from `oracle`, ε = `perturbation(g)`, out = ∇L(W + ε).
 * Two gradient evaluations. The loss handed on is L(W + ε), the objective whose gradient `out` is.
 */
export function ascentStep(oracle: GradientOracle, ctx: StepContext, perturbation: (grads: tf.NamedTensorMap) => tf.NamedTensorMap): GradientResult {
  const base = oracle();
  const eps = perturbation(base.grads);
  // base.loss may be the step's clean loss (what fit reports): left to the engine.
  disposeNamed(base.grads);
  return gradientAt(ctx, eps, oracle);
}

/** One noise draw per trainable variable, standard deviation `sigma`, from the step's seeded source. */
export function drawNoise(ctx: StepContext, sigma: number, distribution: NoiseDistribution = "gaussian"): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const v of ctx.variables) {
    switch (distribution) {
      case "gaussian":
        out[v.name] = ctx.random.normal(v.shape, sigma);
        break;
      case "laplace":
        out[v.name] = ctx.random.laplace(v.shape, sigma);
        break;
      case "uniform": {
        const a = Math.sqrt(3) * sigma; // U(−a, a) has standard deviation a/√3
        out[v.name] = ctx.random.uniform(v.shape, -a, a);
        break;
      }
    }
  }
  return out;
}
