/**
 * tfjs draws from `Math.random` wherever no seed is given: `model.fit`'s shuffling, and the
 * seeds of random ops. A run replaces it with a seeded stream for its duration, so that the same
 * seed gives the same batches — every method of a comparison sees the same data order.
 */
import { seededRandom } from "@flatfit/data";

export async function withSeededMathRandom<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  const original = Math.random;
  Math.random = seededRandom((seed ^ 0x9e3779b9) >>> 0);
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
