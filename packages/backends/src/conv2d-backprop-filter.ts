/**
 * The weight gradient of a 2-D convolution (tfjs kernel `Conv2DBackpropFilter`), NHWC, as one
 * direct loop over flat arrays: dW[r, c, i, o] = Σ_b,y,x  x[b, y·sh + r − top, x·sw + c − left, i] · dy[b, y, x, o].
 * Sums run in float64 and are rounded to float32 once. Shared by the cpu and wasm kernels, which
 * differ only in where the arrays live.
 */
import * as tf from "@tensorflow/tfjs";

export type Shape4 = [number, number, number, number];

export interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: Shape4;
}

export const KERNEL_NAME = "Conv2DBackpropFilter";

/** The convolution geometry tfjs computes for these attributes (channels last). */
export function convInfoOf(xShape: readonly number[], attrs: BackpropFilterAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, "channelsLast");
}

/**
 * Writes dW (filter shape [FH, FW, CI, CO], float32) into `out` from NHWC `x` and `dy`.
 *
 * Loop order: for each tap (wR, wC), input channel and group of 8 output channels, one pass over
 * the output pixels whose input pixel is inside the image (bounds computed per tap, not tested per
 * pixel), summing in eight float64 locals (registers): per multiply-add one load of dy, and x loaded
 * once per 8. Each entry is a float64 sum rounded to float32 once. (The earlier pixel-major order,
 * accumulating into a float64 array, was 2–6× slower on a small CNN's two convolutions.)
 */
export function backpropFilterInto(x: ArrayLike<number>, dy: ArrayLike<number>, c: tf.backend_util.Conv2DInfo, out: Float32Array): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = c;
  const top = c.padInfo.top;
  const left = c.padInfo.left;
  const xStep = SW * CI;
  for (let wR = 0; wR < FH; wR++) {
    // output rows r with 0 ≤ r·SH + wR − top < H
    const r0 = Math.max(0, Math.ceil((top - wR) / SH));
    const r1 = Math.min(OH, Math.floor((H - 1 + top - wR) / SH) + 1);
    for (let wC = 0; wC < FW; wC++) {
      const q0 = Math.max(0, Math.ceil((left - wC) / SW));
      const q1 = Math.min(OW, Math.floor((W - 1 + left - wC) / SW) + 1);
      const wOff = (wR * FW + wC) * CI * CO;
      for (let d1 = 0; d1 < CI; d1++) {
        const k0 = wOff + d1 * CO;
        let d2 = 0;
        for (; d2 + 8 <= CO; d2 += 8) {
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0; // prettier-ignore
          for (let b = 0; b < B; b++) {
            for (let r = r0; r < r1; r++) {
              let xi = ((b * H + r * SH + wR - top) * W + q0 * SW + wC - left) * CI + d1;
              let o = ((b * OH + r) * OW + q0) * CO + d2;
              for (let q = q0; q < q1; q++, xi += xStep, o += CO) {
                const v = x[xi];
                s0 += v * dy[o];
                s1 += v * dy[o + 1];
                s2 += v * dy[o + 2];
                s3 += v * dy[o + 3];
                s4 += v * dy[o + 4];
                s5 += v * dy[o + 5];
                s6 += v * dy[o + 6];
                s7 += v * dy[o + 7];
              }
            }
          }
          const k = k0 + d2;
          out[k] = s0;
          out[k + 1] = s1;
          out[k + 2] = s2;
          out[k + 3] = s3;
          out[k + 4] = s4;
          out[k + 5] = s5;
          out[k + 6] = s6;
          out[k + 7] = s7;
        }
        for (; d2 < CO; d2++) {
          let s = 0;
          for (let b = 0; b < B; b++) {
            for (let r = r0; r < r1; r++) {
              let xi = ((b * H + r * SH + wR - top) * W + q0 * SW + wC - left) * CI + d1;
              let o = ((b * OH + r) * OW + q0) * CO + d2;
              for (let q = q0; q < q1; q++, xi += xStep, o += CO) s += x[xi] * dy[o];
            }
          }
          out[k0 + d2] = s;
        }
      }
    }
  }
}

/** Throws unless the data format is NHWC (the only one these kernels implement). */
export function checkFormat(backend: string, attrs: BackpropFilterAttrs): void {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new Error(`@flatfit/backends ${KERNEL_NAME} on "${backend}": dataFormat "${attrs.dataFormat}" is not supported (accepted: "NHWC")`);
  }
}
