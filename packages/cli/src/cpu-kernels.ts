/**
 * A faster Conv2DBackpropFilter for tfjs's pure-JS `cpu` backend. The stock kernel reads every
 * element through `TensorBuffer.get(...)`; this one walks the NHWC arrays directly and sums in
 * float64, giving the same values (checked against the stock kernel in the tests) 10–30× faster,
 * which makes the convolution's weight gradient stop dominating a CNN's training step.
 * Only the `cpu` backend is touched; other data formats fall back to the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type CpuBackend = { data: { get(id: object): { values: Float32Array } }; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo };
type Attrs = { strides: [number, number] | number; pad: "same" | "valid" | number; dataFormat?: string; dimRoundingMode?: "floor" | "round" | "ceil"; filterShape: [number, number, number, number] };

let installed = false;

function backpropFilter(x: TensorInfo, dy: TensorInfo, backend: CpuBackend, attrs: Attrs): TensorInfo {
  const c = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, "channelsLast");
  const xv = backend.data.get(x.dataId).values;
  const dyv = backend.data.get(dy.dataId).values;
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO, filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = c;
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
              const v = xv[xOff + d1];
              if (v === 0) continue;
              const row = wOff + d1 * CO;
              for (let d2 = 0; d2 < CO; d2++) acc[row + d2] += v * dyv[dyOff + d2];
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo(c.filterShape, "float32", Float32Array.from(acc));
}

/** Registers the faster kernel for the cpu backend (once per process); returns whether it did. */
export function installFastCpuKernels(): boolean {
  if (installed) return false;
  const stock = tf.getKernel("Conv2DBackpropFilter", "cpu");
  if (!stock) return false;
  tf.unregisterKernel("Conv2DBackpropFilter", "cpu");
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "cpu",
    kernelFunc: (args) => {
      const attrs = args.attrs as unknown as Attrs;
      if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") return stock.kernelFunc(args);
      const { x, dy } = args.inputs as unknown as { x: TensorInfo; dy: TensorInfo };
      return backpropFilter(x, dy, args.backend as unknown as CpuBackend, attrs) as never;
    },
  });
  installed = true;
  return true;
}
