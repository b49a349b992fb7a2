/**
 * PertOPT's per-parameter arithmetic as fused kernels (one pass per variable instead of about
 * twenty tfjs ops). Each states the math as a loop for the cpu backend, as tf ops for the other
 * backends, and as one expression that GPU backends compile; the σ test (test/pertopt.test.ts)
 * checks them against a float64 reference.
 */
import * as tf from "@tensorflow/tfjs";
import { counterKey, counterUniform, defineFusedKernel, fusedExpr as e, type Expr } from "@flatfit/core";

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
/** σ at one element (float64), as the sigma kernel states it; `moved` is ‖W_t − W_{t−1}‖. */
function sigmaAt(h: number, hPrev: number, wPrev: number, g: number, moved: number, a: SigmaAttrs): number {
  if (!(Math.abs(g) < Math.fround(a.beta2))) return 0; // masked (compared in float32, as tf.less does)
  const kappa = a.kappaScale * Math.abs(wPrev) + a.epsilon;
  const rho = moved === 0 ? 0 : Math.abs(h - hPrev) / moved;
  const bound = 1 / (Math.sqrt(a.eta * (h + rho * kappa)) * a.logEpoch); // +∞ where the curvature is 0
  return bound < kappa ? bound : kappa;
}

/** σ as an expression of h, h_prev, W_{t−1}, g and the moved distance. */
function sigmaExpr(h: Expr, hPrev: Expr, wPrev: Expr, g: Expr, moved: Expr): Expr {
  const kappa = e.add(e.mul(e.attr("kappaScale"), e.abs(wPrev)), e.attr("epsilon"));
  const rho = e.select(moved, e.div(e.abs(e.sub(h, hPrev)), moved), e.value(0));
  const denominator = e.mul(e.sqrt(e.mul(e.attr("eta"), e.add(h, e.mul(rho, kappa)))), e.attr("logEpoch"));
  // the bound is +∞ where the denominator is 0: σ = κ there (no division by 0 on the device)
  const sigma = e.select(e.less(e.value(0), denominator), e.min(e.div(e.value(1), denominator), kappa), kappa);
  return e.select(e.less(e.abs(g), e.attr("beta2")), sigma, e.value(0));
}

/** σ with tf ops (the path of backends without the fused kernel). */
function sigmaOps(h: tf.Tensor, hPrev: tf.Tensor, wPrev: tf.Tensor, g: tf.Tensor, moved: tf.Tensor, a: SigmaAttrs): tf.Tensor {
  return tf.tidy(() => {
    const kappa = tf.add(tf.mul(tf.abs(wPrev), a.kappaScale), a.epsilon);
    const rho = tf.divNoNan(tf.abs(tf.sub(h, hPrev)), moved);
    const curvature = tf.mul(tf.add(h, tf.mul(rho, kappa)), a.eta);
    const bound = tf.div(1, tf.mul(tf.sqrt(curvature), a.logEpoch));
    const mask = tf.cast(tf.less(tf.abs(g), a.beta2), "float32");
    return tf.mul(tf.minimum(bound, kappa), mask);
  });
}

export const sigmaKernel = defineFusedKernel<SigmaAttrs>({
  name: "FlatfitPertoptSigma",
  cpu: ([h, hPrev, wPrev, g, movedT], attrs) => {
    const out = new Float32Array(h.length);
    for (let i = 0; i < out.length; i++) out[i] = sigmaAt(h[i], hPrev[i], wPrev[i], g[i], movedT[0], attrs);
    return [out];
  },
  elementwise: () => ({ expr: sigmaExpr(e.input(0), e.input(1), e.input(2), e.input(3), e.input(4, 0)) }),
  ops: ([h, hPrev, wPrev, g, moved], attrs) => [sigmaOps(h, hPrev, wPrev, g, moved, attrs)],
});

/** The attrs of the perturbed-weights kernel: σ's, and the seed of the draws u. */
export interface PerturbedWeightsAttrs extends SigmaAttrs {
  /** Seed of u's counter-based stream (core's `counterUniform`): drawn where the kernel runs. */
  seed: number;
}

/** u ~ U(−1, 1) for every element, from `seed`'s counter-based stream (exact in float32). */
function offsetDraws(count: number, seed: number): Float32Array {
  const key = counterKey(seed);
  const u = new Float32Array(count);
  for (let i = 0; i < count; i++) u[i] = 2 * counterUniform(key, i) - 1;
  return u;
}

/**
 * The perturbed weights W + σ ⊙ u in one pass: σ as the sigma kernel computes it (from the squared
 * moved distance; the square root is taken here, per element, not as a program of its own), and
 * u ~ U(−1, 1) drawn per element from a counter-based stream, so that a GPU draws it inside the
 * same program: nothing is uploaded. Inputs: W, h, h_prev, W_{t−1}, g, Σ(W − W_prev)².
 */
export const perturbedWeightsKernel = defineFusedKernel<PerturbedWeightsAttrs>({
  name: "FlatfitPertoptPerturbedWeights",
  cpu: ([w, h, hPrev, wPrev, g, movedSquared], attrs) => {
    const moved = Math.sqrt(movedSquared[0]);
    const u = offsetDraws(w.length, attrs.seed);
    const out = new Float32Array(w.length);
    // rounded as the separate float32 ops would round them: σ, σ·u, then W + σ·u
    for (let i = 0; i < out.length; i++) out[i] = w[i] + Math.fround(Math.fround(sigmaAt(h[i], hPrev[i], wPrev[i], g[i], moved, attrs)) * u[i]);
    return [out];
  },
  elementwise: () => {
    const sigma = sigmaExpr(e.input(1), e.input(2), e.input(3), e.input(4), e.sqrt(e.input(5, 0)));
    const u = e.sub(e.mul(e.value(2), e.uniform("seed")), e.value(1));
    return { expr: e.add(e.input(0), e.mul(sigma, u)) };
  },
  ops: ([w, h, hPrev, wPrev, g, movedSquared], attrs) => [
    tf.tidy(() => tf.add(w, tf.mul(sigmaOps(h, hPrev, wPrev, g, tf.sqrt(movedSquared), attrs), tf.tensor(offsetDraws(w.size, attrs.seed), w.shape)))),
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

