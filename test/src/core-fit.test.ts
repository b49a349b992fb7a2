import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type FlatfitHooks, type StepContext, type GradientOracle } from "@flatfit/core";
import { checkFitContract } from "@flatfit/testing";

/** Evaluates the closure at three random perturbations per step and returns the last gradient. */
class ThreePerturbed {
  static id = "three-perturbed";
  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap("three-perturbed", (oracle: GradientOracle, ctx: StepContext) => () => {
      let last = oracle();
      for (let k = 0; k < 3; k++) {
        const offsets: tf.NamedTensorMap = {};
        for (const v of ctx.variables) offsets[v.name] = ctx.random.normal(v.shape, 0.1);
        last = ctx.evaluateAt(offsets, oracle);
      }
      return last;
    });
  }
}

test("a plugin evaluating 3 perturbed points per step keeps fit's contract", async (t) => {
  await checkFitContract(t, [{ use: ThreePerturbed }]);
});
