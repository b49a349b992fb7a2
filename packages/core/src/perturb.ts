/**
 * Evaluate something at perturbed weights, then put the weights back bit-exactly.
 *
 * Restoring re-assigns the saved tensor (the variable gets its old buffer back); it never
 * subtracts the perturbation, because W + δ − δ ≠ W in float32. The restore runs in a
 * `finally`, so an evaluation that throws leaves the weights as they were.
 */
import * as tf from "@tensorflow/tfjs";
import { linearCombination } from "./fused";
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
}

/**
 * Moves the named variables by `offsets`, runs `fn`, and restores them bit-exactly.
 * `offsets` may name a subset of `variables`; unknown names are an error.
 */
export function withOffsets<T>(variables: readonly tf.Variable[], offsets: NamedTensors, fn: () => T): T {
  const byName = new Map(variables.map((v) => [v.name, v] as const));
  const saved: Array<[tf.Variable, tf.Tensor]> = [];
  try {
    for (const name of Object.keys(offsets)) {
      const v = byName.get(name);
      if (v === undefined) {
        throw new Error(`evaluateAt: "${name}" is not a trainable variable of this step (have: ${[...byName.keys()].join(", ")})`);
      }
      const before = tf.clone(v); // shares v's buffer: no copy
      saved.push([v, before]);
      const moved = linearCombination([
        [v, 1],
        [offsets[name], 1],
      ]); // one fused pass; exactly float32's v + offset
      v.assign(moved as tf.Tensor);
      moved.dispose();
    }
    return fn();
  } finally {
    for (let i = saved.length - 1; i >= 0; i--) {
      const [v, before] = saved[i];
      v.assign(before);
      before.dispose();
    }
  }
}

/** A Perturbable over a plain list of variables (used outside a training step). */
export class VariablePerturber implements Perturbable {
  constructor(readonly variables: readonly tf.Variable[]) {}
  evaluateAt<T>(offsets: NamedTensors, fn: () => T): T {
    return withOffsets(this.variables, offsets, fn);
  }
}
