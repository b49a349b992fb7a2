/**
 * A second cpu backend without flatfit's fused kernels ("cpu-unfused"): on it every fused kernel
 * takes its tf-ops path, so tests can compare the two implementations of the same math.
 */
import * as tf from "@tensorflow/tfjs";

export const UNFUSED_BACKEND = "cpu-unfused";

/** Registers "cpu-unfused": tfjs's cpu kernels, none of flatfit's ("Flatfit…"). */
export function registerUnfusedCpu(): void {
  if (tf.findBackend(UNFUSED_BACKEND)) return;
  const cpu = tf.findBackend("cpu");
  if (!cpu) throw new Error('registerUnfusedCpu: the "cpu" backend is not registered');
  const Cpu = cpu.constructor as new () => tf.KernelBackend;
  tf.registerBackend(UNFUSED_BACKEND, () => new Cpu(), -1);
  for (const k of tf.getKernelsForBackend("cpu")) {
    if (!k.kernelName.startsWith("Flatfit")) tf.registerKernel({ ...k, backendName: UNFUSED_BACKEND });
  }
}

/** Runs `fn` on `backend` ("cpu" or "cpu-unfused"), then switches back to the backend before. */
export async function onBackend<T>(backend: string, fn: () => T | Promise<T>): Promise<T> {
  await tf.ready(); // the backend before is known only once one is initialized
  if (backend === UNFUSED_BACKEND) registerUnfusedCpu();
  const before = tf.getBackend();
  await tf.setBackend(backend);
  try {
    return await fn();
  } finally {
    await tf.setBackend(before);
  }
}

/** The names of the kernels `fn` runs (tfjs's profiler). */
export async function kernelsRun(fn: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(fn);
  return info.kernelNames;
}
