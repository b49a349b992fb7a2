/**
 * PertOPT's per-parameter arithmetic as fused kernels (one pass per variable instead of about
 * twenty tfjs ops). Each states the math as a loop for the cpu backend and as tf ops for the
 * other backends, and all but the random offset (drawn on the host) as one expression that GPU
 * backends compile; the σ test (test/pertopt.test.ts) checks both against a float64 reference.
 */
import * as tf from "@tensorflow/tfjs";
import { defineFusedKernel, fusedExpr as e, uniformValues } from "@flatfit/core";

export interface SigmaAttrs {
  /** η. */
  eta: number;
  /** γ / log(1 + epoch): κ = kappaScale·|W_{t−1}| + ε. */
  kappaScale: number;
  /** log(1 + epoch). */
  logEpoch: number;
  /** β₂: the mask threshold on |g_t|. */
  beta2: number;
  /** ε: the floor of κ. */
  epsilon: number;
}

/**
 * σ = min(1 / (logEpoch·√(η·(h + ρ·κ))), κ) · [|g| < β₂], with κ = kappaScale·|W_{t−1}| + ε and
 * ρ = |h − h_prev| / moved (0 where moved = 0). Inputs: h, h_prev, W_{t−1}, g, moved (a scalar).
 */
export const sigmaKernel = defineFusedKernel<SigmaAttrs>({
  name: "FlatfitPertoptSigma",
  cpu: ([h, hPrev, wPrev, g, movedT], { eta, kappaScale, logEpoch, beta2, epsilon }) => {
    const moved = movedT[0];
    const threshold = Math.fround(beta2); // compared in float32, as tf.less does
    const out = new Float32Array(h.length);
    for (let i = 0; i < out.length; i++) {
      if (!(Math.abs(g[i]) < threshold)) continue; // masked: σ = 0
      const kappa = kappaScale * Math.abs(wPrev[i]) + epsilon;
      const rho = moved === 0 ? 0 : Math.abs(h[i] - hPrev[i]) / moved;
      const bound = 1 / (Math.sqrt(eta * (h[i] + rho * kappa)) * logEpoch); // +∞ where the curvature is 0
      out[i] = bound < kappa ? bound : kappa;
    }
    return [out];
  },
  elementwise: () => {
    const [h, hPrev, wPrev, g, moved] = [e.input(0), e.input(1), e.input(2), e.input(3), e.input(4, 0)];
    const kappa = e.add(e.mul(e.attr("kappaScale"), e.abs(wPrev)), e.attr("epsilon"));
    const rho = e.select(moved, e.div(e.abs(e.sub(h, hPrev)), moved), e.value(0));
    const denominator = e.mul(e.sqrt(e.mul(e.attr("eta"), e.add(h, e.mul(rho, kappa)))), e.attr("logEpoch"));
    // the bound is +∞ where the denominator is 0: σ = κ there (no division by 0 on the device)
    const sigma = e.select(e.less(e.value(0), denominator), e.min(e.div(e.value(1), denominator), kappa), kappa);
    return { expr: e.select(e.less(e.abs(g), e.attr("beta2")), sigma, e.value(0)) };
  },
  ops: ([h, hPrev, wPrev, g, moved], { eta, kappaScale, logEpoch, beta2, epsilon }) => [
    tf.tidy(() => {
      const kappa = tf.add(tf.mul(tf.abs(wPrev), kappaScale), epsilon);
      const rho = tf.divNoNan(tf.abs(tf.sub(h, hPrev)), moved);
      const curvature = tf.mul(tf.add(h, tf.mul(rho, kappa)), eta);
      const bound = tf.div(1, tf.mul(tf.sqrt(curvature), logEpoch));
      const mask = tf.cast(tf.less(tf.abs(g), beta2), "float32");
      return tf.mul(tf.minimum(bound, kappa), mask);
    }),
  ],
});

/** Σ (W − W_prev)², a scalar. Inputs: W, W_prev. */
export const movedSquaredKernel = defineFusedKernel<Record<string, never>>({
  name: "FlatfitPertoptMovedSquared",
  cpu: ([w, wPrev]) => {
    let s = 0;
    for (let i = 0; i < w.length; i++) {
      const d = w[i] - wPrev[i];
      s += d * d;
    }
    return [Float32Array.of(s)];
  },
  elementwise: () => ({ expr: e.square(e.sub(e.input(0), e.input(1))), reduce: "sum" }),
  ops: ([w, wPrev]) => [tf.tidy(() => tf.sum(tf.square(tf.sub(w, wPrev))))],
  outputShapes: () => [[]],
});

/** h' = β₁·h + (1 − β₁)·g² (the EMA of squared gradients). Inputs: h, g. */
export const secondMomentKernel = defineFusedKernel<{ beta1: number }>({
  name: "FlatfitPertoptSecondMoment",
  cpu: ([h, g], { beta1 }) => {
    const out = new Float32Array(h.length);
    const c = 1 - beta1;
    for (let i = 0; i < out.length; i++) out[i] = beta1 * h[i] + c * g[i] * g[i];
    return [out];
  },
  elementwise: () => ({ expr: e.add(e.mul(e.attr("beta1"), e.input(0)), e.mul(e.sub(e.value(1), e.attr("beta1")), e.square(e.input(1)))) }),
  ops: ([h, g], { beta1 }) => [tf.tidy(() => tf.add(tf.mul(h, beta1), tf.mul(tf.square(g), 1 - beta1)))],
});

/**
 * σ ⊙ u with u ~ U(−1, 1) drawn from the stream of `seed` (core's `uniformValues`, the numbers
 * `RandomSource.uniform` gives for that seed): draw and product in one pass. Input: σ.
 */
export const offsetKernel = defineFusedKernel<{ seed: number }>({
  name: "FlatfitPertoptOffset",
  cpu: ([sigma], { seed }) => {
    const out = uniformValues(sigma.length, seed, -1, 1);
    for (let i = 0; i < out.length; i++) out[i] *= sigma[i];
    return [out];
  },
  ops: ([sigma], { seed }) => [tf.tidy(() => tf.mul(sigma, tf.tensor(uniformValues(sigma.size, seed, -1, 1), sigma.shape)))],
});
