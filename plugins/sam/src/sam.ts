/**
 * SAM, sharpness-aware minimization (Foret, Kleiner, Mobahi, Neyshabur, ICLR 2021):
 *
 *   g   = ∇L(W)
 *   ε   = ρ · g / ‖g‖₂            (one norm over all trainable variables)
 *   out = ∇L(W + ε)               2 gradient evaluations per step
 */
import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { Logger, PLUGIN_OPTIONS, z, type FlatfitHooks, type FlatfitPlugin, type GradientOracle, type StepContext } from "@flatfit/core";
import { ascentStep, normalizedDirection, radius } from "./perturb";

export const samOptions = z.strictObject({
  /** Radius ρ of the neighbourhood (ε has norm ρ). */
  rho: radius(0.05, "SAM uses 0.05 on CIFAR and searches {0.01, 0.02, 0.05, 0.1, 0.2, 0.5}; the NSO paper searches {0.01, 0.02, 0.05}"),
});
export type SamOptions = z.output<typeof samOptions>;

@injectable()
export class SamPlugin implements FlatfitPlugin {
  static readonly id = "sam";
  static readonly coreApi = "^1";
  static readonly options = samOptions;

  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: SamOptions,
    private readonly logger: Logger,
  ) {}

  apply(hooks: FlatfitHooks): void {
    const { rho } = this.options;
    this.logger.debug(`sam: rho=${rho} (2 gradient evaluations per step)`);
    hooks.gradient.tap(SamPlugin.id, (oracle: GradientOracle, ctx: StepContext): GradientOracle => () => ascentStep(oracle, ctx, (g) => normalizedDirection(g, rho)));
  }
}

export default SamPlugin;
