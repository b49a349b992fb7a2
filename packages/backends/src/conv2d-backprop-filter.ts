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

/** Writes dW (filter shape [FH, FW, CI, CO], float32) into `out` from NHWC `x` and `dy`. */
export function backpropFilterInto(x: ArrayLike<number>, dy: ArrayLike<number>, c: tf.backend_util.Conv2DInfo, out: Float32Array): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = c;
  const top = c.padInfo.top;
  const left = c.padInfo.left;
  const acc = new Float64Array(FH * FW * CI * CO);
  for (let b = 0; b < B; b++) {
    for (let yR = 0; yR < OH; yR++) {
      for (let yC = 0; yC < OW; yC++) {
        const dyOff = ((b * OH + yR) * OW + yC) * CO;
        for (let wR = 0; wR < FH; wR++) {
          const xR = yR * SH + wR - top;
          if (xR < 0 || xR >= H) continue;
          for (let wC = 0; wC < FW; wC++) {
            const xC = yC * SW + wC - left;
            if (xC < 0 || xC >= W) continue;
            const xOff = ((b * H + xR) * W + xC) * CI;
            const wOff = (wR * FW + wC) * CI * CO;
            for (let d1 = 0; d1 < CI; d1++) {
              const v = x[xOff + d1];
              if (v === 0) continue; // ReLU outputs: many exact zeros
              const row = wOff + d1 * CO;
              for (let d2 = 0; d2 < CO; d2++) acc[row + d2] += v * dy[dyOff + d2];
            }
          }
        }
      }
    }
  }
  out.set(acc);
}

/** Throws unless the data format is NHWC (the only one these kernels implement). */
export function checkFormat(backend: string, attrs: BackpropFilterAttrs): void {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new Error(`@flatfit/backends ${KERNEL_NAME} on "${backend}": dataFormat "${attrs.dataFormat}" is not supported (accepted: "NHWC")`);
  }
}
