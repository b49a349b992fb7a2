/**
 * HERO's direction as fused kernels: c·W⊙W⊙g in one pass (the "elementwise" and "adaptive"
 * scalings), and Σ (W⊙g)² for the adaptive scaling's global norm. Each states the math as a loop
 * for the cpu backend, as one expression for GPU backends and as tf ops for the rest; test/src/core-fused.test.ts trains
 * every scaling on both and compares.
 */
import * as tf from "@tensorflow/tfjs";
import { defineFusedKernel, fusedExpr as e } from "@flatfit/core";

/** c · W ⊙ W ⊙ g. Inputs: W, g, c (a scalar). */
export const squaredWeightsTimesGradient = defineFusedKernel<Record<string, never>>({
  name: "FlatfitHeroSquaredWeightsTimesGradient",
  cpu: ([w, g, cT]) => {
    const c = cT[0];
    const out = new Float32Array(w.length);
    for (let i = 0; i < out.length; i++) out[i] = c * w[i] * w[i] * g[i];
    return [out];
  },
  elementwise: () => ({ expr: e.mul(e.mul(e.input(2, 0), e.square(e.input(0))), e.input(1)) }),
  ops: ([w, g, c]) => [tf.tidy(() => tf.mul(tf.mul(tf.square(w), g), c))],
});

/** Σ (W ⊙ g)², a scalar. Inputs: W, g. */
export const weightedGradientSquares = defineFusedKernel<Record<string, never>>({
  name: "FlatfitHeroWeightedGradientSquares",
  cpu: ([w, g]) => {
    let s = 0;
    for (let i = 0; i < w.length; i++) {
      const x = w[i] * g[i];
      s += x * x;
    }
    return [Float32Array.of(s)];
  },
  elementwise: () => ({ expr: e.square(e.mul(e.input(0), e.input(1))), reduce: "sum" }),
  ops: ([w, g]) => [tf.tidy(() => tf.sum(tf.square(tf.mul(w, g))))],
  outputShapes: () => [[]],
});
