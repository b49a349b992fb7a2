/**
 * One call registers every backend extra with tfjs: `installBackendExtras()`. Kernels are
 * registered by backend name, so this works before or after the backend itself is registered
 * (e.g. before `import "@tensorflow/tfjs-backend-wasm"`). Calling it again changes nothing.
 */
import * as tf from "@tensorflow/tfjs";
import { KERNEL_NAME } from "./conv2d-backprop-filter";
import { cpuConv2DBackpropFilter } from "./cpu";
import { wasmConv2DBackpropFilter } from "./wasm";
import { WASM_KERNELS, WASM_REPLACED, wasmExtraKernel } from "./wasm/kernels";
import { installWasmFusedKernels } from "./wasm/fused-kernels";
import { installShaderFusedKernels } from "./fused/install";

// webgl, webgpu: fused kernels with an elementwise form, as shader programs (./fused)
export const EXTRA_BACKENDS = ["cpu", "wasm", "webgl", "webgpu"] as const;
export type ExtraBackend = (typeof EXTRA_BACKENDS)[number];

export interface BackendExtrasOptions {
  /** Which backends get their extras (default: all of `EXTRA_BACKENDS`). */
  backends?: readonly ExtraBackend[];
}

/** What one backend gets: kernels that replace a slower stock one, or that it lacks. */
export const EXTRAS: Readonly<Record<ExtraBackend, readonly string[]>> = {
  cpu: [KERNEL_NAME],
  wasm: [KERNEL_NAME, ...Object.keys(WASM_KERNELS)],
  // fused kernels only, registered as they are declared (see installBackendExtras)
  webgl: [],
  webgpu: [],
};

const installed = new Set<string>(); // "kernel@backend"

function kernelFor(backend: ExtraBackend, name: string): tf.KernelConfig {
  if (backend === "wasm" && name in WASM_KERNELS) return wasmExtraKernel(name);
  if (name !== KERNEL_NAME) throw new Error(`@flatfit/backends: no extra kernel "${name}"`);
  return backend === "cpu" ? cpuConv2DBackpropFilter(tf.getKernel(name, "cpu")) : wasmConv2DBackpropFilter();
}

/**
 * Registers the extras for the chosen backends; returns what this call registered, as
 * "Kernel@backend" (empty when everything was already in place).
 */
export function installBackendExtras(opts: BackendExtrasOptions = {}): string[] {
  const backends: readonly ExtraBackend[] = opts.backends ?? EXTRA_BACKENDS;
  if (!Array.isArray(opts.backends ?? EXTRA_BACKENDS)) throw new Error(`installBackendExtras: option "backends" must be an array of ${EXTRA_BACKENDS.map((b) => `"${b}"`).join(", ")}`);
  for (const b of backends) {
    if (!(EXTRA_BACKENDS as readonly string[]).includes(b)) {
      throw new Error(`installBackendExtras: option "backends" has "${String(b)}"; accepted: ${EXTRA_BACKENDS.map((x) => `"${x}"`).join(", ")}`);
    }
  }
  const done: string[] = [];
  for (const backend of backends) {
    for (const name of EXTRAS[backend]) {
      const key = `${name}@${backend}`;
      if (installed.has(key)) continue;
      const stock = tf.getKernel(name, backend);
      // wasm: a kernel of its own (a later tfjs version) is native code; keep it, unless 4.22's is wrong
      if (stock !== undefined && backend === "wasm" && !WASM_REPLACED.includes(name)) continue;
      const config = kernelFor(backend, name);
      if (stock !== undefined) tf.unregisterKernel(name, backend);
      tf.registerKernel(config);
      installed.add(key);
      done.push(key);
    }
  }
  // wasm: flatfit's fused kernels (@flatfit/core's registry), those declared so far and each later one
  if (backends.includes("wasm")) done.push(...installWasmFusedKernels().map((name) => `${name}@wasm`));
  // webgl, webgpu: each fused kernel with an elementwise form as one shader program, declared so far and later
  for (const shader of ["webgl", "webgpu"] as const) {
    if (backends.includes(shader)) done.push(...installShaderFusedKernels(shader).map((name) => `${name}@${shader}`));
  }
  return done;
}
