/**
 * Arithmetic on named gradient/weight maps (`tf.NamedTensorMap`, keyed by variable name).
 * Everything stays on the device: no function here reads a value back to the host.
 */
import * as tf from "@tensorflow/tfjs";

export type NamedTensors = tf.NamedTensorMap;

/** Applies `fn` to every entry of `a`, paired with the entry of the same name in each of `rest`. */
export function mapNamed(a: NamedTensors, fn: (t: tf.Tensor, name: string) => tf.Tensor): NamedTensors {
  const out: NamedTensors = {};
  for (const name of Object.keys(a)) out[name] = fn(a[name], name);
  return out;
}

function need(map: NamedTensors, name: string, what: string): tf.Tensor {
  const t = map[name];
  if (t === undefined) throw new Error(`${what}: no tensor named "${name}" (have: ${Object.keys(map).join(", ")})`);
  return t;
}

/** a + b, entry by entry. */
export function addNamed(a: NamedTensors, b: NamedTensors): NamedTensors {
  return mapNamed(a, (t, n) => tf.add(t, need(b, n, "addNamed")));
}

/** a − b, entry by entry. */
export function subNamed(a: NamedTensors, b: NamedTensors): NamedTensors {
  return mapNamed(a, (t, n) => tf.sub(t, need(b, n, "subNamed")));
}

/** s · a, where s is a number or a scalar tensor. */
export function scaleNamed(a: NamedTensors, s: number | tf.Scalar): NamedTensors {
  return mapNamed(a, (t) => tf.mul(t, s));
}

/** a + s · b (an axpy), entry by entry. */
export function axpyNamed(a: NamedTensors, s: number | tf.Scalar, b: NamedTensors): NamedTensors {
  return mapNamed(a, (t, n) => tf.add(t, tf.mul(need(b, n, "axpyNamed"), s)));
}

/** Σ over entries of Σ t², as a scalar tensor. */
export function sumSquaresNamed(a: NamedTensors): tf.Scalar {
  const parts = Object.values(a).map((t) => tf.sum(tf.square(t)));
  return parts.length === 0 ? tf.scalar(0) : (tf.addN(parts) as tf.Scalar);
}

/** Global ℓ2 norm over all entries, as a scalar tensor. */
export function globalNorm(a: NamedTensors): tf.Scalar {
  return tf.sqrt(sumSquaresNamed(a));
}

/** Σ over entries of ⟨a, b⟩, as a scalar tensor. */
export function dotNamed(a: NamedTensors, b: NamedTensors): tf.Scalar {
  const parts = Object.keys(a).map((n) => tf.sum(tf.mul(a[n], need(b, n, "dotNamed"))));
  return parts.length === 0 ? tf.scalar(0) : (tf.addN(parts) as tf.Scalar);
}

/** The current values of variables as a map (no copies: the tensors are the variables). */
export function valuesOf(variables: readonly tf.Variable[]): NamedTensors {
  const out: NamedTensors = {};
  for (const v of variables) out[v.name] = v;
  return out;
}

/** Disposes every tensor of a map. */
export function disposeNamed(a: NamedTensors | undefined): void {
  if (a) tf.dispose(Object.values(a));
}

/** A tensor with a name, as optimizers' `getWeights` returns them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}
