/**
 * Symmetric label noise, the protocol of HERO's Table 2 (after Zhang et al.): sample exactly
 * round(ratio · n) training examples uniformly without replacement and replace each label with a
 * uniform draw from ALL classes (so about 1/classes of them keep their label).
 */
import type { Dataset } from "./dataset";
import { permutation, seededRandom } from "./random";

export interface NoiseReport {
  /** Examples whose label was redrawn: exactly round(ratio · n). */
  resampled: number;
  /** Of those, examples whose label actually changed. */
  changed: number;
}

export function symmetricLabelNoise(d: Dataset, ratio: number, seed: number): { data: Dataset; report: NoiseReport } {
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`labelNoise: ratio must be in [0, 1], got ${ratio}`);
  const n = d.labels.length;
  const rand = seededRandom(seed ^ 0x5bd1e995);
  const resampled = Math.round(ratio * n);
  const chosen = permutation(n, rand).slice(0, resampled);
  const labels = Int32Array.from(d.labels);
  let changed = 0;
  for (const i of chosen) {
    const label = Math.floor(rand() * d.classes);
    if (label !== labels[i]) changed++;
    labels[i] = label;
  }
  return { data: { ...d, labels }, report: { resampled, changed } };
}
