/**
 * The two gradients of a 3-D convolution (NDHWC, filter [FD, FH, FW, CI, CO]) for tfjs-backend-wasm,
 * replacing its stock kernels, which are wrong: its Conv3DBackpropInputV2 bounds the output depths
 * it visits by the filter depth alone (the dx of a Conv3D layer after another layer is wrong), and
 * its Conv3DBackpropFilterV2 rounds the bounds of the output range wrongly when a stride is above 1
 * (measured: relative errors of order 1 against the definition and the cpu backend).
 *
 * With y[b, p, r, q, o] = Σ_i,j,l,c x[b, p·sd + i·dd − front, r·sh + j·dh − top, q·sw + l·dw − left, c] · W[i, j, l, c, o]:
 *   dW[i, j, l, c, o] = Σ_b,p,r,q  x[b, p·sd + i·dd − front, …, c] · dy[b, p, r, q, o]
 *   dx[b, s, u, v, c] = Σ over the (p, i), (r, j), (q, l) that read (s, u, v), and o:  dy[b, p, r, q, o] · W[i, j, l, c, o]
 * Both read their inputs and write their output in place on the wasm heap, sum in float64 and
 * round to float32 once.
 */
import * as tf from "@tensorflow/tfjs";
import { checkDtypes, heapKernel, outputOnHeap } from "./heap";

export const CONV3D_FILTER_KERNEL = "Conv3DBackpropFilterV2";
export const CONV3D_INPUT_KERNEL = "Conv3DBackpropInputV2";

type Shape5 = [number, number, number, number, number];

interface Conv3DGradAttrs {
  strides: [number, number, number] | number;
  pad: "same" | "valid";
  dilations?: [number, number, number] | number;
}

function dimsOf(c: tf.backend_util.Conv3DInfo) {
  return {
    B: c.batchSize,
    D: c.inDepth,
    H: c.inHeight,
    W: c.inWidth,
    CI: c.inChannels,
    OD: c.outDepth,
    OH: c.outHeight,
    OW: c.outWidth,
    CO: c.outChannels,
    FD: c.filterDepth,
    FH: c.filterHeight,
    FW: c.filterWidth,
    SD: c.strideDepth,
    SH: c.strideHeight,
    SW: c.strideWidth,
    DD: c.dilationDepth,
    DH: c.dilationHeight,
    DW: c.dilationWidth,
    front: c.padInfo.front,
    top: c.padInfo.top,
    left: c.padInfo.left,
  };
}

/** Writes dW ([FD, FH, FW, CI, CO], float32) into `out` from NDHWC `x` and `dy`. */
export function conv3dFilterGradInto(x: ArrayLike<number>, dy: ArrayLike<number>, c: tf.backend_util.Conv3DInfo, out: Float32Array): void {
  const { B, D, H, W, CI, OD, OH, OW, CO, FD, FH, FW, SD, SH, SW, DD, DH, DW, front, top, left } = dimsOf(c);
  const acc = new Float64Array(FD * FH * FW * CI * CO);
  let dyOff = 0;
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < OD; p++) {
      for (let r = 0; r < OH; r++) {
        for (let q = 0; q < OW; q++, dyOff += CO) {
          for (let i = 0; i < FD; i++) {
            const s = p * SD + i * DD - front;
            if (s < 0 || s >= D) continue;
            for (let j = 0; j < FH; j++) {
              const u = r * SH + j * DH - top;
              if (u < 0 || u >= H) continue;
              for (let l = 0; l < FW; l++) {
                const v = q * SW + l * DW - left;
                if (v < 0 || v >= W) continue;
                const xOff = (((b * D + s) * H + u) * W + v) * CI;
                const wOff = ((i * FH + j) * FW + l) * CI * CO;
                for (let ci = 0; ci < CI; ci++) {
                  const xv = x[xOff + ci];
                  if (xv === 0) continue; // ReLU outputs: many exact zeros
                  const row = wOff + ci * CO;
                  for (let co = 0; co < CO; co++) acc[row + co] += xv * dy[dyOff + co];
                }
              }
            }
          }
        }
      }
    }
  }
  out.set(acc);
}

/** For each input coordinate along one axis: the (tap, output coordinate) pairs that read it, flattened. */
function taps(inSize: number, outSize: number, filter: number, stride: number, dilation: number, before: number): number[][] {
  const all: number[][] = [];
  for (let x = 0; x < inSize; x++) {
    const t: number[] = [];
    for (let k = 0; k < filter; k++) {
      const n = x + before - k * dilation; // = output coordinate · stride
      if (n < 0 || n % stride !== 0 || n / stride >= outSize) continue;
      t.push(k, n / stride);
    }
    all.push(t);
  }
  return all;
}

/**
 * Writes dx (the NDHWC input shape, float32) into `out` from `dy` and the filter `w`: for each input
 * pixel, the (dy, filter) offset pairs of the taps that read it, then one sum per channel, written once.
 */
export function conv3dInputGradInto(dy: ArrayLike<number>, w: ArrayLike<number>, c: tf.backend_util.Conv3DInfo, out: Float32Array): void {
  const { B, D, H, W, CI, OD, OH, OW, CO, FD, FH, FW, SD, SH, SW, DD, DH, DW, front, top, left } = dimsOf(c);
  const tD = taps(D, OD, FD, SD, DD, front);
  const tH = taps(H, OH, FH, SH, DH, top);
  const tW = taps(W, OW, FW, SW, DW, left);
  const dyOffs = new Int32Array(FD * FH * FW);
  const wOffs = new Int32Array(FD * FH * FW);
  const filterRow = CI * CO;
  let dxOff = 0;
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < D; s++) {
      const ts = tD[s];
      for (let u = 0; u < H; u++) {
        const tu = tH[u];
        for (let v = 0; v < W; v++, dxOff += CI) {
          const tv = tW[v];
          let n = 0;
          for (let a = 0; a < ts.length; a += 2) {
            for (let e = 0; e < tu.length; e += 2) {
              const dyRow = ((b * OD + ts[a + 1]) * OH + tu[e + 1]) * OW;
              const wRow = (ts[a] * FH + tu[e]) * FW;
              for (let m = 0; m < tv.length; m += 2) {
                dyOffs[n] = (dyRow + tv[m + 1]) * CO;
                wOffs[n++] = (wRow + tv[m]) * filterRow;
              }
            }
          }
          for (let ci = 0; ci < CI; ci++) {
            const wc = ci * CO;
            let sum = 0;
            for (let t = 0; t < n; t++) {
              const d = dyOffs[t];
              const k = wOffs[t] + wc;
              for (let co = 0; co < CO; co++) sum += dy[d + co] * w[k + co];
            }
            out[dxOff + ci] = sum;
          }
        }
      }
    }
  }
}

function infoOf(xShape: readonly number[], filterShape: readonly number[], a: Conv3DGradAttrs): tf.backend_util.Conv3DInfo {
  return tf.backend_util.computeConv3DInfo(xShape as Shape5, filterShape as Shape5, a.strides, a.dilations ?? 1, a.pad);
}

export function wasmConv3DFilterGrad(): tf.KernelConfig {
  return heapKernel(CONV3D_FILTER_KERNEL, ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as Conv3DGradAttrs & { filterShape: Shape5 };
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    checkDtypes(CONV3D_FILTER_KERNEL, { x, dy }, ["float32"]);
    const c = infoOf(x.shape, a.filterShape, a);
    return outputOnHeap(backend, a.filterShape, "float32", [x, dy], (out, [xv, dyv]) => conv3dFilterGradInto(xv, dyv, c, out));
  });
}

export function wasmConv3DInputGrad(): tf.KernelConfig {
  return heapKernel(CONV3D_INPUT_KERNEL, ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as Conv3DGradAttrs & { inputShape: Shape5 };
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    checkDtypes(CONV3D_INPUT_KERNEL, { dy, filter }, ["float32"]);
    const c = infoOf(a.inputShape, filter.shape, a);
    return outputOnHeap(backend, a.inputShape, "float32", [dy, filter], (out, [dyv, w]) => conv3dInputGradInto(dyv, w, c, out));
  });
}
