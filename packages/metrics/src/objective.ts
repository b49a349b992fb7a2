/**
 * What a curvature measurement works on: a set of variables, the loss at their current values,
 * and an oracle giving loss and gradients there. A closure becomes one with `closureObjective`;
 * a compiled model and data with `modelObjective` (inference mode, gradients accumulated over
 * batches, so the figure is of ONE Hessian: that of the mean loss over all the data given).
 */
import * as tf from "@tensorflow/tfjs";
import type { GradientOracle, GradientResult } from "@flatfit/core";

export interface Objective {
  /** The variables the Hessian is taken with respect to, in a fixed order. */
  readonly variables: readonly tf.Variable[];
  /** The loss at the variables' current values. */
  loss(): tf.Scalar;
  /** Loss and gradients (keyed by variable name) at the variables' current values. */
  readonly oracle: GradientOracle;
}

/** An objective from a loss closure over `vars` (the closure should have no side effects). */
export function closureObjective(loss: () => tf.Scalar, vars: readonly tf.Variable[]): Objective {
  if (typeof loss !== "function") throw new TypeError("expected a loss closure () => tf.Scalar");
  if (!Array.isArray(vars) || vars.length === 0) throw new TypeError("expected a non-empty array of tf.Variable");
  const variables = [...vars];
  return {
    variables,
    loss: () => tf.tidy(loss),
    oracle: (): GradientResult => {
      const { value, grads } = tf.variableGrads(loss, variables);
      return { loss: value, grads };
    },
  };
}
