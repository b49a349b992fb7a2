/**
 * USAM, unnormalized SAM (Andriushchenko & Flammarion, ICML 2022; the NSO paper's "USAM", after
 * Agarwala & Dauphin, ICML 2023): SAM's ascent step without the normalization,
 *
 *   g   = ∇L(W)
 *   ε   = ρ · g
 *   out = ∇L(W + ε)               2 gradient evaluations per step
 */
import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { Logger, PLUGIN_OPTIONS, scaleNamed, z, type FlatfitHooks, type FlatfitPlugin, type GradientOracle, type StepContext } from "@flatfit/core";
import { ascentStep, radius } from "./perturb";

export const usamOptions = z.strictObject({
  /** Step ρ of the ascent (ε = ρ·g: ‖ε‖ grows with ‖g‖). */
  rho: radius(0.05, "the NSO paper searches {0.01, 0.02, 0.05} for SAM and USAM alike"),
});
export type UsamOptions = z.output<typeof usamOptions>;

@injectable()
export class UsamPlugin implements FlatfitPlugin {
  static readonly id = "usam";
  static readonly coreApi = "^1";
  static readonly options = usamOptions;

  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: UsamOptions,
    private readonly logger: Logger,
  ) {}

  apply(hooks: FlatfitHooks): void {
    const { rho } = this.options;
    this.logger.debug(`usam: rho=${rho} (2 gradient evaluations per step)`);
    hooks.gradient.tap(UsamPlugin.id, (oracle: GradientOracle, ctx: StepContext): GradientOracle => () => ascentStep(oracle, ctx, (g) => scaleNamed(g, rho)));
  }
}

export default UsamPlugin;
