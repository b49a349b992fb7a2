/** Sample statistics of Monte-Carlo estimates. */

/** Mean and standard error of the mean (sample std with n − 1, over √n); stdError is NaN for n < 2. */
export function meanAndStdError(samples: readonly number[]): { mean: number; stdError: number } {
  const n = samples.length;
  if (n === 0) return { mean: NaN, stdError: NaN };
  const mean = samples.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { mean, stdError: NaN };
  const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  return { mean, stdError: Math.sqrt(variance / n) };
}
