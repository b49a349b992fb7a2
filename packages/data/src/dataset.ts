/** A classification data set held as plain arrays until it is turned into tensors. */
import * as tf from "@tensorflow/tfjs";

export interface Dataset {
  /** Row-major features, `features` numbers per example. */
  features: Float32Array;
  /** Shape of one example (e.g. [784], [28, 28, 1], [4]). */
  shape: number[];
  labels: Int32Array;
  classes: number;
  /** Optional class names (CSV label values). */
  classNames?: string[];
}

export const exampleSize = (d: Dataset): number => d.shape.reduce((a, b) => a * b, 1);
export const count = (d: Dataset): number => d.labels.length;

/** x of shape [n, ...shape] and one-hot y of shape [n, classes]. */
export function toTensors(d: Dataset): { x: tf.Tensor; y: tf.Tensor2D } {
  const n = count(d);
  return tf.tidy(() => ({
    x: tf.tensor(d.features, [n, ...d.shape]),
    y: tf.oneHot(tf.tensor1d(d.labels, "int32"), d.classes) as tf.Tensor2D,
  }));
}

/** The examples at `indices`, in that order. */
export function subset(d: Dataset, indices: ArrayLike<number>): Dataset {
  const size = exampleSize(d);
  const features = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    features.set(d.features.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = d.labels[i];
  }
  return { ...d, features, labels };
}

/** Splits off the last `fraction` of the examples (deterministic: no shuffling). */
export function splitTail(d: Dataset, fraction: number): { head: Dataset; tail: Dataset } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validation split must be in (0, 1), got ${fraction}`);
  const n = count(d);
  const cut = n - Math.max(1, Math.round(n * fraction));
  const idx = Array.from({ length: n }, (_, i) => i);
  return { head: subset(d, idx.slice(0, cut)), tail: subset(d, idx.slice(cut)) };
}

/** Same examples with a new per-example shape (same number of values). */
export function reshape(d: Dataset, shape: number[]): Dataset {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== exampleSize(d)) throw new RangeError(`cannot reshape examples of ${exampleSize(d)} values to [${shape}]`);
  return { ...d, shape };
}
