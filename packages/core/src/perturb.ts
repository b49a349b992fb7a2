/**
 * Evaluate something at perturbed weights, then put the weights back bit-exactly.
 *
 * Restoring re-assigns the saved tensor (the variable gets its old buffer back); it never
 * subtracts the perturbation, because W + δ − δ ≠ W in float32. The restore runs in a
 * `finally`, so an evaluation that throws leaves the weights as they were.
 */
import * as tf from "@tensorflow/tfjs";
import type { NamedTensors } from "./tensors";

export type GradientResult = { loss: tf.Scalar; grads: tf.NamedTensorMap };
/** Evaluates the loss and gradients at the variables' current values. */
export type GradientOracle = () => GradientResult;

/** Anything whose weights can be moved temporarily: a training step, or a standalone closure. */
export interface Perturbable {
  /** The trainable variables, in a fixed order. */
  readonly variables: readonly tf.Variable[];
  /** Runs `fn` with every variable named in `offsets` moved to W + offset; restores afterwards. */
  evaluateAt<T>(offsets: NamedTensors, fn: () => T): T;
  /** Runs `fn` with each variable set to `move(variable)` (where that gives a tensor); restores afterwards. */
  evaluateWith<T>(move: WeightMove, fn: () => T): T;
}

/**
 * New weights for a variable, given the variable (at its current value): a tensor of its shape,
 * or undefined to leave it where it is. The tensor is the caller's to make and is disposed once
 * assigned.
 */
export type WeightMove = (variable: tf.Variable, index: number) => tf.Tensor | undefined;

/**
 * Sets each variable to `move(variable)`, runs `fn`, and restores them bit-exactly. This is the
 * one place where flatfit moves trainable weights and puts them back; `withOffsets` is its
 * common case. A move that returns a tensor of the wrong shape is an error (nothing moved).
 */
export function withMovedWeights<T>(variables: readonly tf.Variable[], move: WeightMove, fn: () => T): T {
  const saved: Array<[tf.Variable, tf.Tensor]> = [];
  try {
    variables.forEach((v, index) => {
      const moved = move(v, index);
      if (moved === undefined) return;
      if (!tf.util.arraysEqual(moved.shape, v.shape)) {
        moved.dispose();
        throw new Error(`evaluateAt: the weights for "${v.name}" must have its shape [${v.shape.join(",")}], got [${moved.shape.join(",")}]`);
      }
      saved.push([v, tf.clone(v)]); // the clone shares v's buffer: no copy
      v.assign(moved);
      moved.dispose();
    });
    return fn();
  } finally {
    for (let i = saved.length - 1; i >= 0; i--) {
      const [v, before] = saved[i];
      v.assign(before);
      before.dispose();
    }
  }
}

/**
 * Moves the named variables by `offsets`, runs `fn`, and restores them bit-exactly.
 * `offsets` may name a subset of `variables`; unknown names and offsets of another shape are
 * errors (nothing moved).
 */
export function withOffsets<T>(variables: readonly tf.Variable[], offsets: NamedTensors, fn: () => T): T {
  const byName = new Map(variables.map((v) => [v.name, v] as const));
  for (const [name, offset] of Object.entries(offsets)) {
    const v = byName.get(name);
    if (v === undefined) {
      throw new Error(`evaluateAt: "${name}" is not a trainable variable of this step (have: ${[...byName.keys()].join(", ")})`);
    }
    if (!tf.util.arraysEqual(offset.shape, v.shape)) {
      throw new Error(`evaluateAt: the offset for "${name}" must have its shape [${v.shape.join(",")}], got [${offset.shape.join(",")}]`);
    }
  }
  // one elementwise add a variable: exactly float32's W + offset, with no coefficients to upload
  return withMovedWeights(variables, (v) => (offsets[v.name] === undefined ? undefined : tf.add(v, offsets[v.name])), fn);
}

/** A Perturbable over a plain list of variables (used outside a training step). */
export class VariablePerturber implements Perturbable {
  constructor(readonly variables: readonly tf.Variable[]) {}
  evaluateAt<T>(offsets: NamedTensors, fn: () => T): T {
    return withOffsets(this.variables, offsets, fn);
  }
  evaluateWith<T>(move: WeightMove, fn: () => T): T {
    return withMovedWeights(this.variables, move, fn);
  }
}
