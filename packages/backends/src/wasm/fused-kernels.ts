/**
 * flatfit's fused kernels (`defineFusedKernel` in @flatfit/core: the plugins' per-parameter
 * arithmetic) on tfjs-backend-wasm. Each declared kernel's cpu loop (`spec.cpu`) runs directly on
 * its inputs' values on the wasm heap, and its results are copied once into outputs allocated
 * there: one pass over the parameters instead of the handful of tf ops of the kernel's `ops` form,
 * each of which would be a separate pass (and a separate tensor) on wasm.
 *
 * Kernels are registered as they are declared: `onFusedKernelDefined` reports the kernels declared
 * before (by core and by plugins already imported) at once and each later one as its module loads.
 * @flatfit/core runs a kernel registered for the active backend and its `ops` otherwise.
 */
import * as tf from "@tensorflow/tfjs";
import { onFusedKernelDefined, orderedKernelInputs, type AnyFusedKernelSpec } from "@flatfit/core";
import { heapKernel } from "./heap";

/** Backend name of tfjs-backend-wasm. */
const WASM = "wasm";

/** The wasm kernel config of one fused kernel: `spec.cpu` on the heap. */
export function wasmFusedKernel(spec: AnyFusedKernelSpec): tf.KernelConfig {
  return heapKernel(spec.name, ({ inputs, attrs, backend }) => {
    const infos = orderedKernelInputs(inputs as Record<string, tf.TensorInfo>);
    for (const t of infos) {
      if (t.dtype !== "float32" && t.dtype !== "int32" && t.dtype !== "bool") {
        throw new Error(`@flatfit/backends ${spec.name} on "wasm": an input has dtype ${t.dtype} (accepted: float32, int32, bool)`);
      }
    }
    const shapes: number[][] = spec.outputShapes?.(
      infos.map((t) => t.shape),
      attrs,
    ) ?? [infos[0].shape];
    // allocate every output first: growing the heap detaches views taken before
    const outputs = shapes.map((s) => backend.makeOutput([...s], "float32"));
    const results = spec.cpu(
      infos.map((t) => backend.typedArrayFromHeap(t)),
      attrs,
    );
    if (results.length !== outputs.length) throw new Error(`@flatfit/backends ${spec.name} on "wasm": the cpu loop gave ${results.length} outputs, its shapes say ${outputs.length}`);
    results.forEach((values, i) => {
      const out = backend.typedArrayFromHeap(outputs[i]) as Float32Array;
      if (values.length !== out.length) throw new Error(`@flatfit/backends ${spec.name} on "wasm": output ${i} has ${values.length} values for shape [${shapes[i]}]`);
      out.set(values);
    });
    return outputs;
  });
}

const registered: string[] = [];
let stop: (() => void) | undefined;

/**
 * Registers a wasm kernel for every fused kernel declared so far and, from now on, for each one
 * declared later (unless one of that name is already registered for wasm). Returns the names this
 * call registered; calling it again registers nothing more.
 */
export function installWasmFusedKernels(): string[] {
  if (stop !== undefined) return [];
  const now: string[] = [];
  stop = onFusedKernelDefined((spec) => {
    if (tf.getKernel(spec.name, WASM) !== undefined) return;
    tf.registerKernel(wasmFusedKernel(spec));
    registered.push(spec.name);
    now.push(spec.name);
  });
  return now.slice();
}

/** The fused kernels registered for wasm so far, in order of registration. */
export function wasmFusedKernelNames(): readonly string[] {
  return registered.slice();
}
