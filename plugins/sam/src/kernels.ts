/**
 * ASAM's perturbation as fused kernels, T = |W| + η elementwise: Σ (T ⊙ g)² for the norm, and
 * c · T ⊙ T ⊙ g for ε, each one pass per variable. Each states the math as a cpu loop, as one
 * elementwise expression (one shader program on webgl/webgpu) and as tf ops.
 */
import * as tf from "@tensorflow/tfjs";
import { defineFusedKernel, fusedExpr as e } from "@flatfit/core";

type EtaAttrs = { eta: number };

/** |w| + η, per element. */
const scaled = () => e.add(e.abs(e.input(0)), e.attr("eta"));

/** Σ ((|W| + η) ⊙ g)², a scalar. Inputs: W, g; attrs: { eta }. */
export const adaptiveGradientSquares = defineFusedKernel<EtaAttrs>({
  name: "FlatfitSamAdaptiveGradientSquares",
  cpu: ([w, g], { eta }) => {
    let s = 0;
    for (let i = 0; i < w.length; i++) {
      const x = (Math.abs(w[i]) + eta) * g[i];
      s += x * x;
    }
    return [Float32Array.of(s)];
  },
  elementwise: () => ({ expr: e.square(e.mul(scaled(), e.input(1))), reduce: "sum" }),
  ops: ([w, g], { eta }) => [tf.tidy(() => tf.sum(tf.square(tf.mul(tf.add(tf.abs(w), eta), g))))],
  outputShapes: () => [[]],
});

/** c · (|W| + η)² ⊙ g. Inputs: W, g, c (a scalar); attrs: { eta }. */
export const adaptivePerturbation = defineFusedKernel<EtaAttrs>({
  name: "FlatfitSamAdaptivePerturbation",
  cpu: ([w, g, cT], { eta }) => {
    const c = cT[0];
    const out = new Float32Array(w.length);
    for (let i = 0; i < out.length; i++) {
      const t = Math.abs(w[i]) + eta;
      out[i] = c * t * t * g[i];
    }
    return [out];
  },
  elementwise: () => ({ expr: e.mul(e.mul(e.input(2, 0), e.square(scaled())), e.input(1)) }),
  ops: ([w, g, c], { eta }) => [tf.tidy(() => tf.mul(tf.mul(tf.square(tf.add(tf.abs(w), eta)), g), c))],
});
