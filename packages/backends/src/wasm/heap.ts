/**
 * What the wasm extras use of tfjs-backend-wasm's `BackendWasm`: outputs allocated on the wasm
 * heap and typed-array views of tensors there, and the shape every wasm kernel of this package
 * shares (`heapKernel`, `outputOnHeap`). Every kernel takes its views after allocating its outputs:
 * growing the heap detaches views taken before.
 */
import type * as tf from "@tensorflow/tfjs";

/** A tensor's values on the wasm heap (float32, int32, bool). */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): HeapArray;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
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

/** The arguments a kernel function gets, with the backend checked to have a wasm heap. */
export interface HeapKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  attrs: tf.NamedAttrMap;
  backend: WasmHeapBackend;
}

/** A kernel config for "wasm" whose function gets the backend as a `WasmHeapBackend`. */
export function heapKernel(kernelName: string, run: (args: HeapKernelArgs) => tf.TensorInfo | tf.TensorInfo[]): tf.KernelConfig {
  return {
    kernelName,
    backendName: "wasm",
    kernelFunc: (args) => run({ inputs: args.inputs, attrs: (args.attrs ?? {}) as tf.NamedAttrMap, backend: heapBackend(args.backend, kernelName) }),
  };
}

/**
 * Allocates one output of `shape` on the heap, then calls `fill` with views of it and of `inputs`
 * (taken after the allocation) to write it in place; returns the output.
 */
export function outputOnHeap<O extends HeapArray = Float32Array>(
  backend: WasmHeapBackend,
  shape: readonly number[],
  dtype: tf.DataType,
  inputs: readonly tf.TensorInfo[],
  fill: (out: O, inputs: HeapArray[]) => void,
): tf.TensorInfo {
  const result = backend.makeOutput([...shape], dtype);
  fill(
    backend.typedArrayFromHeap(result) as O,
    inputs.map((t) => backend.typedArrayFromHeap(t)),
  );
  return result;
}
