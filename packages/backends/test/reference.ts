/** The convolution weight gradient by its definition, in float64: what the kernels are checked against. */
import * as tf from "@tensorflow/tfjs";

export type Pad = "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];
export interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

export const CASES: ConvCase[] = [
  { x: [3, 9, 7, 2], f: [3, 3, 2, 4], strides: [1, 1], pad: "same" },
  { x: [2, 10, 10, 3], f: [3, 3, 3, 5], strides: [2, 2], pad: "same" },
  { x: [2, 11, 9, 4], f: [5, 3, 4, 3], strides: [2, 1], pad: "valid" },
  { x: [1, 8, 8, 1], f: [2, 2, 1, 6], strides: [2, 2], pad: "same" },
  { x: [2, 7, 6, 3], f: [3, 2, 3, 2], strides: [1, 3], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [4, 16, 16, 8], f: [3, 3, 8, 16], strides: [1, 1], pad: "same" },
];

/** Output size and the top/left padding of TF's convolution. */
function geometry(inSize: number, f: number, s: number, pad: Pad, axis: 1 | 2): { out: number; before: number } {
  if (Array.isArray(pad)) {
    const [a, b] = pad[axis];
    return { out: Math.floor((inSize + a + b - f) / s) + 1, before: a };
  }
  if (pad === "valid") return { out: Math.ceil((inSize - f + 1) / s), before: 0 };
  const out = Math.ceil(inSize / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + f - inSize, 0) / 2) };
}

/** dW[i, j, ci, co] = Σ_b,r,q x[b, r·sh + i − top, q·sw + j − left, ci] · dy[b, r, q, co], in float64. */
export function referenceFilterGrad(x: ArrayLike<number>, dy: ArrayLike<number>, c: ConvCase): Float64Array {
  const [B, H, W, CI] = c.x;
  const [FH, FW, , CO] = c.f;
  const gh = geometry(H, FH, c.strides[0], c.pad, 1);
  const gw = geometry(W, FW, c.strides[1], c.pad, 2);
  const [OH, OW] = [gh.out, gw.out];
  if (dy.length !== B * OH * OW * CO) throw new Error(`reference: dy has ${dy.length} values, expected ${B * OH * OW * CO}`);
  const out = new Float64Array(FH * FW * CI * CO);
  for (let i = 0; i < FH; i++)
    for (let j = 0; j < FW; j++)
      for (let ci = 0; ci < CI; ci++)
        for (let co = 0; co < CO; co++) {
          let s = 0;
          for (let b = 0; b < B; b++)
            for (let r = 0; r < OH; r++)
              for (let q = 0; q < OW; q++) {
                const xr = r * c.strides[0] + i - gh.before;
                const xc = q * c.strides[1] + j - gw.before;
                if (xr < 0 || xr >= H || xc < 0 || xc >= W) continue;
                s += x[((b * H + xr) * W + xc) * CI + ci] * dy[((b * OH + r) * OW + q) * CO + co];
              }
          out[((i * FW + j) * CI + ci) * CO + co] = s;
        }
  return out;
}

/** Inputs for a case: x with ReLU's exact zeros (about half), w and dy Gaussian; seeded. */
export function inputsFor(c: ConvCase, k: number): { x: tf.Tensor4D; w: tf.Tensor4D; dy: tf.Tensor4D } {
  return tf.tidy(() => {
    const x = tf.relu(tf.randomNormal(c.x, 0, 1, "float32", 10 + k)) as tf.Tensor4D;
    const w = tf.randomNormal(c.f, 0, 1, "float32", 20 + k) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.conv2d(x, w, c.strides, c.pad).shape, 0, 1, "float32", 30 + k) as tf.Tensor4D;
    return { x, w, dy };
  });
}

/** dW of Σ conv2d(x, W) ⊙ dy through tfjs's gradient (which runs Conv2DBackpropFilter) on the active backend. */
export function filterGrad(x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor4D, c: ConvCase): Float32Array {
  return tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, v as tf.Tensor4D, c.strides, c.pad), dy)))(w).dataSync() as Float32Array);
}

/** Largest absolute error against the reference, and the reference's largest magnitude. */
export function maxError(got: ArrayLike<number>, want: Float64Array): { err: number; scale: number } {
  let err = 0;
  let scale = 0;
  want.forEach((e, i) => {
    err = Math.max(err, Math.abs(got[i] - e));
    scale = Math.max(scale, Math.abs(e));
  });
  return { err, scale };
}
