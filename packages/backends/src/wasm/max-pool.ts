/**
 * `MaxPoolGrad`, `MaxPool3D` and `MaxPool3DGrad` for tfjs-backend-wasm, replacing its stock kernels,
 * which are wrong: they look for each window's maximum starting from FLT_MIN (the smallest positive
 * float, not the lowest), so on a window whose values are all ≤ 0 — max pooling right after a
 * convolution, a BatchNormalization or a tanh, or a 'same' window at the border over negative
 * values — MaxPool3D outputs ~0 instead of the maximum and the gradients send dy to the wrong
 * element or nowhere; on ties they pick the last maximum where tfjs's cpu MaxPoolGrad (and
 * TensorFlow) pick the first. (wasm's 2-D MaxPool forward, from XNNPACK, is right.) A model with
 * MaxPooling2D trained on wasm along another trajectory than on cpu (3 % apart in loss after six steps).
 *
 * These: for each output (b, d, r, q, c) the first maximum, in window order, among the input pixels
 * the window covers (padding excluded); the gradient adds dy[b, d, r, q, c] at that pixel, summing in
 * float64 where windows overlap and rounding to float32 once. Inputs read and output written on the
 * wasm heap.
 */
import * as tf from "@tensorflow/tfjs";
import { checkDtypes, heapKernel, outputOnHeap } from "./heap";

export const MAX_POOL_GRAD_KERNEL = "MaxPoolGrad";
export const MAX_POOL_3D_GRAD_KERNEL = "MaxPool3DGrad";
export const MAX_POOL_3D_KERNEL = "MaxPool3D";

export interface MaxPoolGradAttrs {
  filterSize: number[] | number;
  strides: number[] | number;
  pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** Pooling geometry over NDHWC (2-D pooling: depth 1). Filter sizes are the effective (dilated) ones. */
export interface PoolGeometry {
  batch: number;
  channels: number;
  inDHW: [number, number, number];
  outDHW: [number, number, number];
  filterDHW: [number, number, number];
  strideDHW: [number, number, number];
  dilationDHW: [number, number, number];
  /** padding before the first plane, row, column */
  padDHW: [number, number, number];
}

export function geometry2D(c: tf.backend_util.Conv2DInfo): PoolGeometry {
  return {
    batch: c.batchSize,
    channels: c.inChannels,
    inDHW: [1, c.inHeight, c.inWidth],
    outDHW: [1, c.outHeight, c.outWidth],
    filterDHW: [1, c.effectiveFilterHeight, c.effectiveFilterWidth],
    strideDHW: [1, c.strideHeight, c.strideWidth],
    dilationDHW: [1, c.dilationHeight, c.dilationWidth],
    padDHW: [0, c.padInfo.top, c.padInfo.left],
  };
}

export function geometry3D(c: tf.backend_util.Conv3DInfo): PoolGeometry {
  return {
    batch: c.batchSize,
    channels: c.inChannels,
    inDHW: [c.inDepth, c.inHeight, c.inWidth],
    outDHW: [c.outDepth, c.outHeight, c.outWidth],
    filterDHW: [c.effectiveFilterDepth, c.effectiveFilterHeight, c.effectiveFilterWidth],
    strideDHW: [c.strideDepth, c.strideHeight, c.strideWidth],
    dilationDHW: [c.dilationDepth, c.dilationHeight, c.dilationWidth],
    padDHW: [c.padInfo.front, c.padInfo.top, c.padInfo.left],
  };
}

/** The first index ≥ 0 of corner, corner + step, … */
function firstInside(corner: number, step: number): number {
  let i = corner;
  while (i < 0) i += step;
  return i;
}

/**
 * Visits every pooling window: `best[c]` / `where[c]` hold the first maximum of channel c over the
 * input pixels the window covers (padding excluded; -Infinity / -1 when there is none) when
 * `onWindow(outOffset)` is called; `outOffset` is the window's offset in the NDHWC output.
 */
function forEachWindowMax(x: ArrayLike<number>, g: PoolGeometry, best: Float64Array, where: Int32Array, onWindow: (outOff: number) => void): void {
  const { batch: B, channels: C } = g;
  const [D, H, W] = g.inDHW;
  const [OD, OH, OW] = g.outDHW;
  const [FD, FH, FW] = g.filterDHW;
  const [SD, SH, SW] = g.strideDHW;
  const [DD, DH, DW] = g.dilationDHW;
  const [front, top, left] = g.padDHW;
  let outOff = 0;
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < OD; p++) {
      const p0 = p * SD - front;
      const pMin = firstInside(p0, DD);
      const pMax = Math.min(D, p0 + FD);
      for (let r = 0; r < OH; r++) {
        const r0 = r * SH - top;
        const rMin = firstInside(r0, DH);
        const rMax = Math.min(H, r0 + FH);
        for (let q = 0; q < OW; q++, outOff += C) {
          const q0 = q * SW - left;
          const qMin = firstInside(q0, DW);
          const qMax = Math.min(W, q0 + FW);
          best.fill(-Infinity);
          where.fill(-1);
          for (let s = pMin; s < pMax; s += DD) {
            for (let u = rMin; u < rMax; u += DH) {
              for (let v = qMin; v < qMax; v += DW) {
                const off = (((b * D + s) * H + u) * W + v) * C;
                for (let ch = 0; ch < C; ch++) {
                  const val = x[off + ch];
                  if (val > best[ch]) {
                    best[ch] = val;
                    where[ch] = off + ch;
                  }
                }
              }
            }
          }
          onWindow(outOff);
        }
      }
    }
  }
}

/** Writes the pooled maxima (the NDHWC output shape) into `out`. */
export function maxPoolInto(x: ArrayLike<number>, g: PoolGeometry, out: Float32Array): void {
  const C = g.channels;
  const best = new Float64Array(C);
  const where = new Int32Array(C);
  forEachWindowMax(x, g, best, where, (o) => {
    for (let ch = 0; ch < C; ch++) out[o + ch] = best[ch];
  });
}

let scratch = new Float64Array(0);

/** Writes dx (x's shape, float32) into `out` from `x` and `dy` (NDHWC, or NHWC with depth 1). */
export function maxPoolGradInto(x: ArrayLike<number>, dy: ArrayLike<number>, g: PoolGeometry, out: Float32Array): void {
  const C = g.channels;
  const [FD, FH, FW] = g.filterDHW;
  const [SD, SH, SW] = g.strideDHW;
  // windows that do not overlap give each input pixel at most one term: write float32 directly
  const overlap = SD < FD || SH < FH || SW < FW;
  const size = g.batch * g.inDHW[0] * g.inDHW[1] * g.inDHW[2] * C;
  if (overlap && scratch.length < size) scratch = new Float64Array(size);
  const acc: Float32Array | Float64Array = overlap ? scratch : out;
  acc.fill(0, 0, size);
  const best = new Float64Array(C);
  const where = new Int32Array(C);
  forEachWindowMax(x, g, best, where, (o) => {
    for (let ch = 0; ch < C; ch++) if (where[ch] >= 0) acc[where[ch]] += dy[o + ch];
  });
  if (overlap) out.set(scratch.subarray(0, size));
}

function poolGradKernel(kernelName: string, geometryOf: (shape: number[], attrs: MaxPoolGradAttrs) => PoolGeometry): tf.KernelConfig {
  return heapKernel(kernelName, ({ inputs, attrs, backend }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    checkDtypes(kernelName, { dy, input }, ["float32"]);
    const g = geometryOf(input.shape, attrs as unknown as MaxPoolGradAttrs);
    return outputOnHeap(backend, input.shape, "float32", [input, dy], (out, [x, dyv]) => maxPoolGradInto(x, dyv, g, out));
  });
}

function pool3DGeometry(shape: number[], a: MaxPoolGradAttrs): PoolGeometry {
  return geometry3D(
    tf.backend_util.computePool3DInfo(shape as [number, number, number, number, number], a.filterSize as [number, number, number], a.strides as [number, number, number], 1, a.pad as "same", a.dimRoundingMode),
  );
}

export function wasmMaxPool3D(): tf.KernelConfig {
  return heapKernel(MAX_POOL_3D_KERNEL, ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as MaxPoolGradAttrs & { dataFormat?: string };
    const { x } = inputs as { x: tf.TensorInfo };
    checkDtypes(MAX_POOL_3D_KERNEL, { x }, ["float32"]);
    if (a.dataFormat !== undefined && a.dataFormat !== "NDHWC") {
      throw new Error(`@flatfit/backends ${MAX_POOL_3D_KERNEL} on "wasm": dataFormat "${a.dataFormat}" is not supported (accepted: "NDHWC")`);
    }
    const g = pool3DGeometry(x.shape, a);
    return outputOnHeap(backend, [g.batch, ...g.outDHW, g.channels], "float32", [x], (out, [xv]) => maxPoolInto(xv, g, out));
  });
}

export function wasmMaxPoolGrad(): tf.KernelConfig {
  return poolGradKernel(MAX_POOL_GRAD_KERNEL, (shape, a) =>
    geometry2D(tf.backend_util.computePool2DInfo(shape as [number, number, number, number], a.filterSize as [number, number], a.strides as [number, number], 1, a.pad, a.dimRoundingMode)),
  );
}

export function wasmMaxPool3DGrad(): tf.KernelConfig {
  return poolGradKernel(MAX_POOL_3D_GRAD_KERNEL, pool3DGeometry);
}
