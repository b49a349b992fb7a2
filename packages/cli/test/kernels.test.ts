import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { installFastCpuKernels } from "@flatfit/cli";
import { cpuBackend } from "./helpers";

type Case = { x: [number, number, number, number]; f: [number, number, number, number]; stride: number; pad: "same" | "valid" };
const CASES: Case[] = [
  { x: [3, 9, 7, 2], f: [3, 3, 2, 4], stride: 1, pad: "same" },
  { x: [2, 10, 10, 3], f: [3, 3, 3, 5], stride: 2, pad: "same" },
  { x: [2, 11, 9, 4], f: [5, 3, 4, 3], stride: 2, pad: "valid" },
  { x: [1, 8, 8, 1], f: [2, 2, 1, 6], stride: 2, pad: "same" },
];

/** dL/dW of L = Σ conv2d(x, W) ⊙ dy, by the definition, in float64 (NHWC, TF "same" padding). */
function reference(x: tf.Tensor4D, dy: tf.Tensor4D, c: Case): Float64Array {
  const [B, H, W, CI] = c.x;
  const [FH, FW, , CO] = c.f;
  const [, OH, OW] = dy.shape;
  const padH = c.pad === "same" ? Math.max((OH - 1) * c.stride + FH - H, 0) : 0;
  const padW = c.pad === "same" ? Math.max((OW - 1) * c.stride + FW - W, 0) : 0;
  const top = Math.floor(padH / 2);
  const left = Math.floor(padW / 2);
  const xv = x.dataSync();
  const dv = dy.dataSync();
  const out = new Float64Array(FH * FW * CI * CO);
  for (let i = 0; i < FH; i++)
    for (let j = 0; j < FW; j++)
      for (let ci = 0; ci < CI; ci++)
        for (let co = 0; co < CO; co++) {
          let s = 0;
          for (let b = 0; b < B; b++)
            for (let r = 0; r < OH; r++)
              for (let q = 0; q < OW; q++) {
                const xr = r * c.stride + i - top;
                const xc = q * c.stride + j - left;
                if (xr < 0 || xr >= H || xc < 0 || xc >= W) continue;
                s += xv[((b * H + xr) * W + xc) * CI + ci] * dv[((b * OH + r) * OW + q) * CO + co];
              }
          out[((i * FW + j) * CI + ci) * CO + co] = s;
        }
  return out;
}

function filterGrad(x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor4D, c: Case): Float32Array {
  return tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, v as tf.Tensor4D, c.stride, c.pad), dy)))(w).dataSync() as Float32Array);
}

test("the faster Conv2DBackpropFilter gives the stock kernel's values and the float64 definition's, for strides and paddings", async (t) => {
  await cpuBackend();
  const inputs = CASES.map((c, k) => {
    const x = tf.randomNormal(c.x, 0, 1, "float32", 10 + k) as tf.Tensor4D;
    const w = tf.randomNormal(c.f, 0, 1, "float32", 20 + k) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.conv2d(x, w, c.stride, c.pad).shape, 0, 1, "float32", 30 + k) as tf.Tensor4D;
    return { c, x, w, dy };
  });
  const stock = inputs.map(({ c, x, w, dy }) => filterGrad(x, w, dy, c));
  t.true(installFastCpuKernels());
  t.false(installFastCpuKernels(), "installed once per process");
  inputs.forEach(({ c, x, w, dy }, k) => {
    const fast = filterGrad(x, w, dy, c);
    const exact = reference(x, dy, c);
    let errFast = 0;
    let errStock = 0;
    let scale = 0;
    exact.forEach((e, i) => {
      errFast = Math.max(errFast, Math.abs(fast[i] - e));
      errStock = Math.max(errStock, Math.abs(stock[k][i] - e));
      scale = Math.max(scale, Math.abs(e));
    });
    // float32 rounding of the result: ≤ 2⁻²⁴ relative per entry.
    t.true(errFast <= 1e-6 * scale, `case ${k}: fast kernel off by ${errFast} (scale ${scale})`);
    t.true(errStock <= 1e-5 * scale, `case ${k}: stock kernel off by ${errStock}`);
    t.true(fast.some((v) => v !== 0));
  });
});
