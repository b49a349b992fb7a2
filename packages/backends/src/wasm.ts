/**
 * Extras for `@tensorflow/tfjs-backend-wasm`, which has no Conv2DBackpropFilter (a CNN cannot
 * train on it without one). The kernel reads its inputs and writes its output in place on the
 * wasm heap: no copies to or from JS arrays.
 */
import type * as tf from "@tensorflow/tfjs";
import { KERNEL_NAME, backpropFilterInto, checkFormat, convInfoOf, type BackpropFilterAttrs } from "./conv2d-backprop-filter";
import { checkDtypes, heapKernel, outputOnHeap } from "./wasm/heap";

export function wasmConv2DBackpropFilter(): tf.KernelConfig {
  return heapKernel(KERNEL_NAME, ({ inputs, attrs, backend }) => {
    const a = attrs as unknown as BackpropFilterAttrs;
    checkFormat("wasm", a);
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    checkDtypes(KERNEL_NAME, { x, dy }, ["float32"]);
    const c = convInfoOf(x.shape, a);
    return outputOnHeap(backend, [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels], "float32", [x, dy], (out, [xv, dyv]) => backpropFilterInto(xv, dyv, c, out));
  });
}
