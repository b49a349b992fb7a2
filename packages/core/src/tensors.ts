/**
 * Arithmetic on named gradient/weight maps (`tf.NamedTensorMap`, keyed by variable name).
 * Everything stays on the device: no function here reads a value back to the host.
 */
import * as tf from "@tensorflow/tfjs";
import { dot, linearCombination, sumOfSquares, type Coefficient } from "./fused";
import { addMany } from "./add-many";

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

/**
 * Σ_k c_k · a_k, entry by entry, one fused pass per entry: keyed like the first map, whose every
 * name the others must have. Each c_k is a number or a scalar tensor.
 */
export function combineNamed(terms: ReadonlyArray<readonly [NamedTensors, Coefficient]>): NamedTensors {
  if (terms.length === 0) throw new Error("combineNamed: expected at least one [map, coefficient] term");
  return mapNamed(terms[0][0], (_t, n) => linearCombination(terms.map(([m, c]) => [need(m, n, "combineNamed"), c] as const)));
}

/** a + b, entry by entry. */
export function addNamed(a: NamedTensors, b: NamedTensors): NamedTensors {
  return combineNamed([
    [a, 1],
    [b, 1],
  ]);
}

/** a − b, entry by entry. */
export function subNamed(a: NamedTensors, b: NamedTensors): NamedTensors {
  return combineNamed([
    [a, 1],
    [b, -1],
  ]);
}

/** s · a, where s is a number or a scalar tensor. */
export function scaleNamed(a: NamedTensors, s: Coefficient): NamedTensors {
  return combineNamed([[a, s]]);
}

/** a + s · b (an axpy), entry by entry. */
export function axpyNamed(a: NamedTensors, s: Coefficient, b: NamedTensors): NamedTensors {
  return combineNamed([
    [a, 1],
    [b, s],
  ]);
}

/** Σ over entries of Σ t², as a scalar tensor. */
export function sumSquaresNamed(a: NamedTensors): tf.Scalar {
  return sumScalars(Object.values(a).map(sumOfSquares));
}

/** Global ℓ2 norm over all entries, as a scalar tensor. */
export function globalNorm(a: NamedTensors): tf.Scalar {
  return tf.tidy(() => tf.sqrt(sumSquaresNamed(a)));
}

/** Σ over entries of ⟨a, b⟩, as a scalar tensor. */
export function dotNamed(a: NamedTensors, b: NamedTensors): tf.Scalar {
  return sumScalars(Object.keys(a).map((n) => dot(a[n], need(b, n, "dotNamed"))));
}

function sumScalars(parts: tf.Scalar[]): tf.Scalar {
  if (parts.length === 0) return tf.scalar(0);
  if (parts.length === 1) return parts[0];
  const total = addMany(parts) as tf.Scalar;
  tf.dispose(parts);
  return total;
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
