/**
 * SAM (sharpness-aware minimization, Foret et al., ICLR 2021) as a third-party flatfit plugin.
 *
 *   ε = ρ · g / ‖g‖        (g = ∇L(W), one norm over all variables)
 *   out = ∇L(W + ε)        2 gradient evaluations per step
 *
 * A plain class (no decorators): flatfit constructs it as `new SamPlugin(options, services)`.
 * It depends only on @flatfit/core's public API.
 */
import * as tf from "@tensorflow/tfjs";
import { globalNorm, scaleNamed, z, type FlatfitHooks, type FlatfitPlugin, type GradientOracle, type StepContext } from "@flatfit/core";

const options = z.strictObject({
  /** Radius of the neighbourhood SAM looks at (the paper's default for CIFAR is 0.05). */
  rho: z.number().gt(0).default(0.05),
});
export type SamOptions = z.output<typeof options>;

export default class SamPlugin implements FlatfitPlugin {
  static readonly id = "sam";
  static readonly options = options;

  constructor(readonly opts: SamOptions) {}

  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap("sam", (oracle: GradientOracle, ctx: StepContext) => () => {
      const { grads } = oracle();
      const scale = tf.div(this.opts.rho, tf.maximum(globalNorm(grads), 1e-12)) as tf.Scalar;
      return ctx.evaluateAt(scaleNamed(grads, scale), oracle);
    });
  }
}
