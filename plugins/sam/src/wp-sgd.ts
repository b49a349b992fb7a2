/**
 * WP-SGD, one-point weight-perturbed SGD (randomized smoothing, Duchi et al. 2012), the NSO
 * paper's Table 2 comparison: the gradient at randomly perturbed weights, one sample per step,
 *
 *   U   ~ N(0, σ² I)              (every entry of every trainable tensor; or Laplace/uniform, same std)
 *   out = ∇L(W + U)               1 gradient evaluation per step (plus the clean forward pass for fit's metrics)
 *
 * In expectation out = ∇ E_U[L(W + U)] ≈ g + (σ²/2)∇tr H, like NSO, but one step carries the
 * first-order noise H·U that NSO's ± pair cancels.
 */
import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { Logger, PLUGIN_OPTIONS, z, type FlatfitHooks, type FlatfitPlugin, type GradientOracle, type StepContext } from "@flatfit/core";
import { drawNoise, gradientAt, NOISE_DISTRIBUTIONS, noiseStd } from "./perturb";

export const wpSgdOptions = z.strictObject({
  /** Standard deviation σ of the noise U (absolute, the same on every weight). */
  sigma: noiseStd(0.01, "the NSO paper tunes it by cross-validation; its code's default is 0.01"),
  /** Shape of the noise; all three have standard deviation sigma (the NSO paper's Table 2 compares them). */
  distribution: z.enum(NOISE_DISTRIBUTIONS).default("gaussian"),
});
export type WpSgdOptions = z.output<typeof wpSgdOptions>;

@injectable()
export class WpSgdPlugin implements FlatfitPlugin {
  static readonly id = "wp-sgd";
  static readonly coreApi = "^1";
  static readonly options = wpSgdOptions;

  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: WpSgdOptions,
    private readonly logger: Logger,
  ) {}

  apply(hooks: FlatfitHooks): void {
    const { sigma, distribution } = this.options;
    this.logger.debug(`wp-sgd: sigma=${sigma}, distribution=${distribution} (1 gradient evaluation per step)`);
    hooks.gradient.tap(WpSgdPlugin.id, (oracle: GradientOracle, ctx: StepContext): GradientOracle => () => gradientAt(ctx, drawNoise(ctx, sigma, distribution), oracle));
  }
}

export default WpSgdPlugin;
