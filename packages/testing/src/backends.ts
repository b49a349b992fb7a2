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

/** The environment variable that picks the backend every package's tests run on. */
export const TEST_BACKEND_ENV = "FLATFIT_TEST_BACKEND";
/** Backends the suite runs on: tfjs's cpu with flatfit's fused kernels, and without them. */
export const TEST_BACKENDS = ["cpu", UNFUSED_BACKEND] as const;

/** The backend named by $FLATFIT_TEST_BACKEND ("cpu" when unset). */
export function testBackend(env: NodeJS.ProcessEnv = process.env): string {
  const name = env[TEST_BACKEND_ENV] || "cpu";
  if (!(TEST_BACKENDS as readonly string[]).includes(name)) {
    throw new Error(`${TEST_BACKEND_ENV}="${name}" is not a test backend; accepted: ${TEST_BACKENDS.map((b) => `"${b}"`).join(", ")}`);
  }
  return name;
}

/**
 * Makes the backend named by $FLATFIT_TEST_BACKEND the active one; run before any test by
 * ava's `require` (`@flatfit/testing/setup.js`). Unset: nothing changes. A check that
 * only holds on the cpu backend (one that counts fused kernels) runs inside `onBackend("cpu", …)`,
 * so it runs on cpu in both passes of the suite.
 */
export async function useTestBackend(): Promise<void> {
  const name = testBackend();
  if (name === "cpu" && process.env[TEST_BACKEND_ENV] === undefined) return;
  await tf.ready();
  if (name === UNFUSED_BACKEND) registerUnfusedCpu();
  if (!(await tf.setBackend(name))) throw new Error(`${TEST_BACKEND_ENV}: could not start the "${name}" backend`);
}
