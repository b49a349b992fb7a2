/**
 * The two gradients of a depthwise 2-D convolution (NHWC), which tfjs-backend-wasm lacks:
 * `DepthwiseConv2dNativeBackpropFilter` (the weight gradient: DepthwiseConv2D and SeparableConv2D
 * layers cannot train without it) and `DepthwiseConv2dNativeBackpropInput` (the input gradient:
 * needed as soon as such a layer is not the first one).
 *
 * With filter W of shape [FH, FW, CI, M] (M = channel multiplier), output channel k = ci·M + m and
 * y[b, r, q, k] = Σ_i,j x[b, r·sh + i·dh − top, q·sw + j·dw − left, ci] · W[i, j, ci, m]:
 *   dW[i, j, ci, m] = Σ_b,r,q  x[b, r·sh + i·dh − top, q·sw + j·dw − left, ci] · dy[b, r, q, k]
 *   dx[b, u, v, ci] = Σ over (r, i) with r·sh + i·dh − top = u, (q, j) with q·sw + j·dw − left = v,
 *                     and m:  dy[b, r, q, ci·M + m] · W[i, j, ci, m]
 * Both read their inputs and write their output in place on the wasm heap, sum in float64 and
 * round to float32 once.
 */
import * as tf from "@tensorflow/tfjs";
import { checkDtypes, heapKernel, outputOnHeap } from "./heap";

export const DEPTHWISE_FILTER_KERNEL = "DepthwiseConv2dNativeBackpropFilter";
export const DEPTHWISE_INPUT_KERNEL = "DepthwiseConv2dNativeBackpropInput";

type Shape4 = [number, number, number, number];

interface DepthwiseGradAttrs {
  strides: [number, number] | number;
  dilations?: [number, number] | number;
  pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}
export interface DepthwiseFilterGradAttrs extends DepthwiseGradAttrs {
  filterShape: Shape4;
}
export interface DepthwiseInputGradAttrs extends DepthwiseGradAttrs {
  inputShape: Shape4;
}

/** The geometry tfjs computes for a depthwise convolution of `xShape` by `filterShape` (channels last). */
export function depthwiseInfoOf(xShape: readonly number[], filterShape: readonly number[], attrs: DepthwiseGradAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true, "channelsLast");
}

/** Writes dW ([FH, FW, CI, M], float32) into `out` from NHWC `x` and `dy`. */
export function depthwiseFilterGradInto(x: ArrayLike<number>, dy: ArrayLike<number>, c: tf.backend_util.Conv2DInfo, out: Float32Array): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW, dilationHeight: DH, dilationWidth: DW } = c;
  const M = CO / CI;
  const top = c.padInfo.top;
  const left = c.padInfo.left;
  const acc = new Float64Array(FH * FW * CO);
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < OH; r++) {
      const xR0 = r * SH - top;
      for (let q = 0; q < OW; q++) {
        const xC0 = q * SW - left;
        const dyOff = ((b * OH + r) * OW + q) * CO;
        for (let i = 0; i < FH; i++) {
          const xR = xR0 + i * DH;
          if (xR < 0 || xR >= H) continue;
          const rowOff = (b * H + xR) * W;
          for (let j = 0; j < FW; j++) {
            const xC = xC0 + j * DW;
            if (xC < 0 || xC >= W) continue;
            const xOff = (rowOff + xC) * CI;
            const aOff = (i * FW + j) * CO;
            if (M === 1) {
              for (let ci = 0; ci < CI; ci++) acc[aOff + ci] += x[xOff + ci] * dy[dyOff + ci];
            } else {
              for (let ci = 0; ci < CI; ci++) {
                const v = x[xOff + ci];
                if (v === 0) continue; // ReLU outputs: many exact zeros
                const k0 = ci * M;
                for (let m = 0; m < M; m++) acc[aOff + k0 + m] += v * dy[dyOff + k0 + m];
              }
            }
          }
        }
      }
    }
  }
  out.set(acc);
}

/**
 * Writes dx (the NHWC input shape, float32) into `out` from `dy` and the filter `w`: for each
 * input pixel, the sum over the output pixels and taps that read it (one write per element).
 */
export function depthwiseInputGradInto(dy: ArrayLike<number>, w: ArrayLike<number>, c: tf.backend_util.Conv2DInfo, out: Float32Array): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW, dilationHeight: DH, dilationWidth: DW } = c;
  const M = CO / CI;
  const top = c.padInfo.top;
  const left = c.padInfo.left;
  const acc = new Float64Array(CI);
  // for each input column v: the (tap j, output column q) pairs that read it, flattened
  const colTaps: number[][] = [];
  for (let v = 0; v < W; v++) {
    const taps: number[] = [];
    for (let j = 0; j < FW; j++) {
      const t = v + left - j * DW; // = q·SW
      if (t < 0 || t % SW !== 0 || t / SW >= OW) continue;
      taps.push(j, t / SW);
    }
    colTaps.push(taps);
  }
  for (let b = 0; b < B; b++) {
    for (let u = 0; u < H; u++) {
      for (let v = 0; v < W; v++) {
        acc.fill(0);
        const taps = colTaps[v];
        for (let i = 0; i < FH; i++) {
          const t = u + top - i * DH; // = r·SH
          if (t < 0) break; // t falls as i grows
          if (t % SH !== 0) continue;
          const r = t / SH;
          if (r >= OH) continue;
          const dyRow = (b * OH + r) * OW;
          for (let n = 0; n < taps.length; n += 2) {
            const dyOff = (dyRow + taps[n + 1]) * CO;
            const wOff = (i * FW + taps[n]) * CO;
            if (M === 1) {
              for (let ci = 0; ci < CI; ci++) acc[ci] += dy[dyOff + ci] * w[wOff + ci];
            } else {
              for (let ci = 0; ci < CI; ci++) {
                const k0 = ci * M;
                let s = 0;
                for (let m = 0; m < M; m++) s += dy[dyOff + k0 + m] * w[wOff + k0 + m];
                acc[ci] += s;
              }
            }
          }
        }
        out.set(acc, ((b * H + u) * W + v) * CI);
      }
    }
  }
}

export function wasmDepthwiseFilterGrad(): tf.KernelConfig {
  return heapKernel(DEPTHWISE_FILTER_KERNEL, ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as DepthwiseFilterGradAttrs;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    checkDtypes(DEPTHWISE_FILTER_KERNEL, { x, dy }, ["float32"]);
    const c = depthwiseInfoOf(x.shape, a.filterShape, a);
    const shape = [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels / c.inChannels];
    return outputOnHeap(backend, shape, "float32", [x, dy], (out, [xv, dyv]) => depthwiseFilterGradInto(xv, dyv, c, out));
  });
}

export function wasmDepthwiseInputGrad(): tf.KernelConfig {
  return heapKernel(DEPTHWISE_INPUT_KERNEL, ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as DepthwiseInputGradAttrs;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    checkDtypes(DEPTHWISE_INPUT_KERNEL, { dy, filter }, ["float32"]);
    const c = depthwiseInfoOf(a.inputShape, filter.shape, a);
    return outputOnHeap(backend, a.inputShape, "float32", [dy, filter], (out, [dyv, w]) => depthwiseInputGradInto(dyv, w, c, out));
  });
}
