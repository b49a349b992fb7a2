/**
 * `Conv2DBackpropInput` for tfjs-backend-wasm, replacing its stock kernel where that is slow: the
 * stock one is a direct loop, up to 18× slower than wasm's own (XNNPACK) forward convolution of the same
 * size. For a stride-1 convolution (NHWC, padding at most the filter size − 1 on each side), the
 * input gradient is itself a convolution: dx = conv2d(dy, W′) with W′[i, j, co, ci] =
 * W[FH−1−i, FW−1−j, ci, co] (the filter turned 180° with its channel axes swapped) and padding
 * FH−1−top, FH−1−bottom, FW−1−left, FW−1−right. This kernel writes W′ on the wasm heap (one pass
 * over the filter) and runs wasm's Conv2D kernel on it. Strided convolutions, NCHW and other
 * paddings go to the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { checkDtypes, heapKernel, outputOnHeap } from "./heap";
import { runStockKernel } from "./stock";

export const CONV2D_INPUT_KERNEL = "Conv2DBackpropInput";

interface Conv2DInputGradAttrs {
  strides: [number, number] | number;
  pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape: [number, number, number, number];
}

/** Writes W′[i, j, co, ci] = W[FH−1−i, FW−1−j, ci, co] into `out`. */
export function flippedFilterInto(w: ArrayLike<number>, [FH, FW, CI, CO]: readonly number[], out: Float32Array): void {
  for (let i = 0; i < FH; i++) {
    for (let j = 0; j < FW; j++) {
      const src = ((FH - 1 - i) * FW + (FW - 1 - j)) * CI * CO;
      const dst = (i * FW + j) * CO * CI;
      for (let ci = 0; ci < CI; ci++) {
        for (let co = 0; co < CO; co++) out[dst + co * CI + ci] = w[src + ci * CO + co];
      }
    }
  }
}

export function wasmConv2DInputGrad(): tf.KernelConfig {
  return heapKernel(CONV2D_INPUT_KERNEL, (args) => {
    const { inputs, attrs, backend } = args;
    const a = attrs as unknown as Conv2DInputGradAttrs;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const strides = typeof a.strides === "number" ? [a.strides, a.strides] : a.strides;
    const conv = tf.getKernel("Conv2D", "wasm");
    const stock = () => runStockKernel(CONV2D_INPUT_KERNEL, { inputs, attrs, backend: backend as unknown as tf.KernelBackend });
    if (conv === undefined || (a.dataFormat ?? "NHWC") !== "NHWC" || strides[0] !== 1 || strides[1] !== 1 || dy.dtype !== "float32" || filter.dtype !== "float32") return stock();
    const [FH, FW, CI, CO] = filter.shape;
    const c = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], 1, 1, a.pad, a.dimRoundingMode, false, "channelsLast");
    const p = c.padInfo;
    const pads = [FH - 1 - p.top, FH - 1 - p.bottom, FW - 1 - p.left, FW - 1 - p.right];
    if (pads.some((x) => x < 0) || c.outHeight !== dy.shape[1] || c.outWidth !== dy.shape[2]) return stock();
    checkDtypes(CONV2D_INPUT_KERNEL, { dy, filter }, ["float32"]);
    const flipped = outputOnHeap(backend, [FH, FW, CO, CI], "float32", [filter], (out, [w]) => flippedFilterInto(w, filter.shape, out));
    try {
      return conv.kernelFunc({
        inputs: { x: dy, filter: flipped },
        backend: backend as unknown as tf.KernelBackend,
        attrs: { strides: 1, dilations: 1, dataFormat: "NHWC", dimRoundingMode: a.dimRoundingMode, pad: [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]] } as unknown as tf.NamedAttrMap,
      }) as tf.TensorInfo;
    } finally {
      backend.disposeData(flipped.dataId);
    }
  });
}
