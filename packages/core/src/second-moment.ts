/**
 * Adam's exponentially smoothed squared gradient, h' = β·h + (1 − β)·g², as one fused kernel:
 * PertOPT's state update and pacGen's curvature estimate (@flatfit/metrics) both call it.
 */
import * as tf from "@tensorflow/tfjs";
import { defineFusedKernel } from "./fused";
import { fusedExpr as e } from "./fused-expr";

const secondMomentKernel = defineFusedKernel<{ beta: number }>({
  name: "FlatfitSecondMoment",
  cpu: ([h, g], { beta }) => {
    const out = new Float32Array(h.length);
    const c = 1 - beta;
    for (let i = 0; i < out.length; i++) out[i] = beta * h[i] + c * g[i] * g[i];
    return [out];
  },
  elementwise: () => ({ expr: e.add(e.mul(e.attr("beta"), e.input(0)), e.mul(e.sub(e.value(1), e.attr("beta")), e.square(e.input(1)))) }),
  ops: ([h, g], { beta }) => [tf.tidy(() => tf.add(tf.mul(h, beta), tf.mul(tf.square(g), 1 - beta)))],
});

/** h' = β·h + (1 − β)·g² in one pass (h and g of one shape). */
export function secondMomentUpdate(h: tf.Tensor, g: tf.Tensor, beta: number): tf.Tensor {
  if (!tf.util.arraysEqual(h.shape, g.shape)) throw new Error(`secondMomentUpdate: h has shape [${h.shape.join(",")}], g [${g.shape.join(",")}]: expected one shape`);
  return secondMomentKernel([h, g], { beta })[0];
}
