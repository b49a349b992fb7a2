/**
 * Validation data given as a `tf.data.Dataset` (what `fitDataset` users pass), read into tensors
 * once, so that every eval variant and curvature measure sees exactly the same samples.
 */
import * as tf from "@tensorflow/tfjs";

export type TensorPair = [tf.Tensor | tf.Tensor[], tf.Tensor | tf.Tensor[]];

export function isDataset(x: unknown): x is tf.data.Dataset<tf.TensorContainer> {
  return typeof x === "object" && x !== null && !(x instanceof tf.Tensor) && !Array.isArray(x) && typeof (x as { iterator?: unknown }).iterator === "function";
}

const asList = (t: unknown, what: string): tf.Tensor[] => {
  if (t instanceof tf.Tensor) return [t];
  if (Array.isArray(t) && t.every((e) => e instanceof tf.Tensor)) return t as tf.Tensor[];
  throw new TypeError(`validation Dataset: expected ${what} of each element to be a tensor or an array of tensors`);
};

/**
 * Reads a Dataset of `{xs, ys}` or `[xs, ys]` batches (each a tensor or an array of tensors, one
 * per model input / output) and concatenates them along the batch axis. The returned tensors are
 * the caller's to dispose.
 */
export async function materialize(ds: tf.data.Dataset<tf.TensorContainer>, maxBatches = Infinity): Promise<{ pair: TensorPair; tensors: tf.Tensor[] }> {
  const xs: tf.Tensor[][] = [];
  const ys: tf.Tensor[][] = [];
  const it = await ds.iterator();
  try {
    for (let i = 0; i < maxBatches; i++) {
      const { value, done } = await it.next();
      if (done) break;
      const e = value as { xs?: unknown; ys?: unknown } | unknown[];
      const [x, y] = Array.isArray(e) ? [e[0], e[1]] : [e.xs, e.ys];
      if (x === undefined || y === undefined) throw new TypeError("validation Dataset: expected elements {xs, ys} or [xs, ys]");
      xs.push(asList(x, "xs"));
      ys.push(asList(y, "ys"));
    }
    if (xs.length === 0) throw new Error("validation Dataset: it has no elements");
    const join = (parts: tf.Tensor[][]) => parts[0].map((_, k) => (parts.length === 1 ? tf.clone(parts[0][k]) : tf.concat(parts.map((p) => p[k]), 0)));
    const x = join(xs);
    const y = join(ys);
    return { pair: [x.length === 1 ? x[0] : x, y.length === 1 ? y[0] : y], tensors: [...x, ...y] };
  } finally {
    tf.dispose([...xs.flat(), ...ys.flat()]);
  }
}
