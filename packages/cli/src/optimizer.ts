/** The optimizer spec of a config → a tfjs optimizer (flatfit wraps it; plugins never replace it). */
import * as tf from "@tensorflow/tfjs";
import type { OptimizerSpec } from "./config/schema";

export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.name) {
    case "sgd":
      return tf.train.sgd(spec.learningRate);
    case "momentum":
      return tf.train.momentum(spec.learningRate, spec.momentum ?? 0.9, spec.nesterov ?? false);
    case "adam":
      return tf.train.adam(spec.learningRate);
  }
}

export function describeOptimizer(spec: OptimizerSpec): string {
  const extra = spec.name === "momentum" ? `, momentum ${spec.momentum}${spec.nesterov ? " (Nesterov)" : ""}` : "";
  return `${spec.name}, learning rate ${spec.learningRate}${extra}`;
}
