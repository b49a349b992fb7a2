/**
 * Extras for tfjs's pure-JS `cpu` backend. Its stock Conv2DBackpropFilter reads every element
 * through `TensorBuffer.get(...)`; this one walks the arrays in place (see BENCHMARKS in the README).
 * Data formats other than NHWC go to the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { KERNEL_NAME, backpropFilterInto, convInfoOf, type BackpropFilterAttrs } from "./conv2d-backprop-filter";

interface CpuBackendLike {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): tf.TensorInfo;
}

export function cpuConv2DBackpropFilter(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: KERNEL_NAME,
    backendName: "cpu",
    kernelFunc: (args) => {
      const attrs = args.attrs as unknown as BackpropFilterAttrs;
      if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC" && stock) return stock.kernelFunc(args);
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const backend = args.backend as unknown as CpuBackendLike;
      const c = convInfoOf(x.shape, attrs);
      const out = new Float32Array(c.filterHeight * c.filterWidth * c.inChannels * c.outChannels);
      backpropFilterInto(backend.data.get(x.dataId).values, backend.data.get(dy.dataId).values, c, out);
      return backend.makeTensorInfo([c.filterHeight, c.filterWidth, c.inChannels, c.outChannels], "float32", out);
    },
  };
}
