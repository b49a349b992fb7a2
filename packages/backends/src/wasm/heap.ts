/**
 * What the wasm extras use of tfjs-backend-wasm's `BackendWasm`: outputs allocated on the wasm
 * heap and typed-array views of tensors there. Every kernel takes its views after allocating its
 * output: growing the heap detaches views taken before.
 */
import type * as tf from "@tensorflow/tfjs";

export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function heapBackend(backend: unknown, kernel: string): WasmHeapBackend {
  const b = backend as Partial<WasmHeapBackend>;
  if (typeof b?.makeOutput !== "function" || typeof b?.typedArrayFromHeap !== "function") {
    throw new Error(`@flatfit/backends ${kernel}: registered for "wasm" but called with a backend that has no wasm heap`);
  }
  return b as WasmHeapBackend;
}

/** Throws unless every input is one of `dtypes` (the kernels read float32 and int32 heaps only). */
export function checkDtypes(kernel: string, inputs: Record<string, tf.TensorInfo>, dtypes: readonly tf.DataType[]): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (!dtypes.includes(t.dtype)) {
      throw new Error(`@flatfit/backends ${kernel} on "wasm": input "${name}" has dtype ${t.dtype} (accepted: ${dtypes.join(", ")})`);
    }
  }
}
