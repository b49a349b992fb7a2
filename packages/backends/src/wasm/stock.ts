/**
 * tfjs-backend-wasm's own kernels that flatfit's replace, kept so that a replacement can hand the
 * cases it does not speed up back to them (kernels.ts records each one it unregisters).
 */
import type * as tf from "@tensorflow/tfjs";

const stock = new Map<string, tf.KernelConfig>();
const setUp = new WeakMap<tf.KernelConfig, WeakSet<object>>();

export function recordStockKernel(config: tf.KernelConfig): void {
  stock.set(config.kernelName, config);
}

/**
 * Runs the stock wasm kernel `name` on `args` (its setup first, once per backend: tfjs set up only
 * the kernels registered when the backend started). Throws when no stock kernel was recorded.
 */
export function runStockKernel(name: string, args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const config = stock.get(name);
  if (config === undefined) throw new Error(`@flatfit/backends ${name} on "wasm": this case needs tfjs-backend-wasm's own kernel, which was not seen (import @tensorflow/tfjs-backend-wasm before running it)`);
  const backend = args.backend as object;
  let done = setUp.get(config);
  if (done === undefined) setUp.set(config, (done = new WeakSet()));
  if (!done.has(backend)) {
    config.setupFunc?.(args.backend);
    done.add(backend);
  }
  return config.kernelFunc(args) as tf.TensorInfo | tf.TensorInfo[];
}
