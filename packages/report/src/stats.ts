/**
 * Paired differences over seeds: every method trains with the same seeds, and a seed fixes the
 * data order, the noise draws and the initial weights, so method − baseline is compared seed by
 * seed (a paired t-interval), not as two independent samples.
 */
import tQuantile from "@stdlib/stats-base-dists-t-quantile";

export interface PairedDifference {
  /** Number of pairs (seeds where both have a value). */
  n: number;
  /** Mean of the per-seed differences. */
  mean: number;
  /** Sample standard deviation of the differences (0 with one pair). */
  std: number;
  /** The confidence level of `lo`…`hi`, e.g. 0.95. */
  level: number;
  /** Confidence interval mean ± t(1 − (1 − level)/2, n − 1) · std/√n; absent with fewer than 2 pairs. */
  lo?: number;
  hi?: number;
  /** The interval excludes 0 (false without an interval). */
  distinguishable: boolean;
  /** The per-seed differences, in seed order. */
  values: number[];
}

/** Two-sided Student-t critical value for `level` (e.g. 0.95) with `df` degrees of freedom. */
export function tCritical(level: number, df: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`tCritical: level must be in (0, 1) (got ${level})`);
  if (!(df > 0)) throw new RangeError(`tCritical: degrees of freedom must be > 0 (got ${df})`);
  return tQuantile(1 - (1 - level) / 2, df);
}

/**
 * The paired difference a − b (a[i] and b[i] from the same seed; pairs where either is missing
 * or not finite are left out) with its `level` confidence interval (paired t-interval).
 */
export function pairedDifference(a: ReadonlyArray<number | undefined>, b: ReadonlyArray<number | undefined>, level = 0.95): PairedDifference {
  if (a.length !== b.length) throw new RangeError(`pairedDifference: ${a.length} values against ${b.length}; pair them by seed`);
  const values: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y)) values.push(x - y);
  }
  const n = values.length;
  const mean = n ? values.reduce((s, v) => s + v, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  if (n < 2) return { n, mean, std, level, distinguishable: false, values };
  const half = tCritical(level, n - 1) * (std / Math.sqrt(n));
  const lo = mean - half;
  const hi = mean + half;
  return { n, mean, std, level, lo, hi, distinguishable: lo > 0 || hi < 0, values };
}
