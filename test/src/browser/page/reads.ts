/**
 * Counts device→host reads at the backend: `read` (async) and `readSync` are what every
 * `data()`/`dataSync()`/`array()` ends in, and on webgl and webgpu each is a real GPU readback.
 */
import type * as tf from "@tensorflow/tfjs";

export interface ReadCounter {
  count: number;
  /** Runs fn with counting on. */
  watch<T>(fn: () => T): T;
}

export function countBackendReads(backend: tf.KernelBackend): ReadCounter {
  const counter = { count: 0, watching: false } as ReadCounter & { watching: boolean };
  const be = backend as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const m of ["read", "readSync"]) {
    const original = be[m];
    be[m] = function (this: unknown, ...args: unknown[]) {
      if (counter.watching) counter.count++;
      return original.apply(this, args);
    };
  }
  counter.watch = <T>(fn: () => T): T => {
    counter.watching = true;
    try {
      return fn();
    } finally {
      counter.watching = false;
    }
  };
  return counter;
}
