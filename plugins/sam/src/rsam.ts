/**
 * RSAM, random sharpness-aware minimization (Liu, Mai, Cheng, Chen, Hsieh, You, NeurIPS 2022), as
 * the NSO paper runs it as a baseline (its Table 6; hyperparameters "the norm of the perturbation"
 * ρ and "the standard deviation for sampling perturbation" σ): smooth the loss with a random
 * Gaussian perturbation, take SAM's ascent direction from the smoothed point, and descend with the
 * gradient at the ascended point:
 *
 *   U   ~ N(0, σ² I)              (every entry of every trainable tensor)
 *   g̃   = ∇L(W + U)
 *   ε   = ρ · g̃ / ‖g̃‖₂            (one norm over all trainable variables)
 *   out = ∇L(W + ε)               2 gradient evaluations per step (the clean gradient is never computed)
 *
 * The ascent starts from W, not from W + U, as in the NSO authors' released RSAM code. The noise
 * is absolute and isotropic; see the README for where that code differs.
 */
import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { disposeNamed, Logger, PLUGIN_OPTIONS, z, type FlatfitHooks, type FlatfitPlugin, type GradientOracle, type GradientResult, type StepContext } from "@flatfit/core";
import { drawNoise, gradientAt, noiseStd, normalizedDirection, radius } from "./perturb";

export const rsamOptions = z.strictObject({
  /** Radius ρ of the ascent step (ε has norm ρ). */
  rho: radius(0.05, "the NSO paper searches {0.01, 0.02, 0.05}"),
  /** Standard deviation σ of the smoothing noise U (absolute, the same on every weight). */
  sigma: noiseStd(0.01, "the NSO paper searches {0.008, 0.01, 0.012}"),
});
export type RsamOptions = z.output<typeof rsamOptions>;

@injectable()
export class RsamPlugin implements FlatfitPlugin {
  static readonly id = "rsam";
  static readonly coreApi = "^1";
  static readonly options = rsamOptions;

  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: RsamOptions,
    private readonly logger: Logger,
  ) {}

  apply(hooks: FlatfitHooks): void {
    const { rho, sigma } = this.options;
    this.logger.debug(`rsam: rho=${rho}, sigma=${sigma} (2 gradient evaluations per step)`);
    hooks.gradient.tap(RsamPlugin.id, (oracle: GradientOracle, ctx: StepContext): GradientOracle => () => this.step(oracle, ctx));
  }

  private step(oracle: GradientOracle, ctx: StepContext): GradientResult {
    const { rho, sigma } = this.options;
    const smoothed = gradientAt(ctx, drawNoise(ctx, sigma), oracle);
    const eps = normalizedDirection(smoothed.grads, rho);
    disposeNamed(smoothed.grads);
    smoothed.loss.dispose();
    return gradientAt(ctx, eps, oracle);
  }
}

export default RsamPlugin;
