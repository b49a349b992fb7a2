/**
 * Extras for `@tensorflow/tfjs-backend-wasm`, which has no Conv2DBackpropFilter (a CNN cannot
 * train on it without one). The kernel reads its inputs and writes its output in place on the
 * wasm heap: no copies to or from JS arrays.
 */
import type * as tf from "@tensorflow/tfjs";
import { KERNEL_NAME, backpropFilterInto, checkFormat, convInfoOf, type BackpropFilterAttrs } from "./conv2d-backprop-filter";

/** What the kernel uses of tfjs-backend-wasm's `BackendWasm`. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): ArrayLike<number>;
}

export function wasmConv2DBackpropFilter(): tf.KernelConfig {
  return {
    kernelName: KERNEL_NAME,
    backendName: "wasm",
    kernelFunc: (args) => {
      const attrs = args.attrs as unknown as BackpropFilterAttrs;
      checkFormat("wasm", attrs);
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const backend = args.backend as unknown as WasmBackendLike;
      const c = convInfoOf(x.shape, attrs);
      const result = backend.makeOutput([c.filterHeight, c.filterWidth, c.inChannels, c.outChannels], "float32");
      // views taken after the allocation: growing the heap detaches earlier ones
      const out = backend.typedArrayFromHeap(result) as Float32Array;
      backpropFilterInto(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(dy), c, out);
      return result;
    },
  };
}
