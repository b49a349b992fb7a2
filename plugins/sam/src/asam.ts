/**
 * ASAM, adaptive sharpness-aware minimization (Kwon, Kim, Park, Choi, ICML 2021), with the
 * elementwise normalization operator T_W = diag(|W|) + η·I:
 *
 *   g   = ∇L(W)
 *   ε   = ρ · T² g / ‖T g‖₂       (T = |W| + η elementwise; one norm over all trainable variables)
 *   out = ∇L(W + ε)               2 gradient evaluations per step
 *
 * Biases: with `biases: "identity"` (the default, as the authors' released code does: it scales
 * only parameters named "weight") a bias takes T = 1, i.e. ε_b = ρ·g_b/‖T g‖; a bias is a variable
 * whose name ends in "bias" or "beta" (Dense/Conv biases, BatchNorm's shift), optionally followed by
 * a "_<n>" suffix. With `biases: "adaptive"` every variable takes T = |W| + η, as the paper's
 * definition of T_W reads.
 */
import "reflect-metadata";
import * as tf from "@tensorflow/tfjs";
import { inject, injectable } from "tsyringe";
import {
  addMany,
  linearCombination,
  Logger,
  PLUGIN_OPTIONS,
  sumOfSquares,
  z,
  type FlatfitHooks,
  type FlatfitPlugin,
  type GradientOracle,
  type StepContext,
} from "@flatfit/core";
import { adaptiveGradientSquares, adaptivePerturbation } from "./kernels";
import { ascentStep, over, radius } from "./perturb";

export const ASAM_BIASES = ["identity", "adaptive"] as const;
export type AsamBiases = (typeof ASAM_BIASES)[number];

export const asamOptions = z.strictObject({
  /** Radius ρ, in the T-normalized space (‖T⁻¹ε‖ = ρ). */
  rho: radius(0.5, "ASAM uses 0.5 on CIFAR-10 and 1.0 on CIFAR-100; the NSO paper searches {0.5, 1.0, 2.0}"),
  /** η in T = |W| + η: keeps the perturbation of zero weights nonzero. */
  eta: z.number().min(0, { message: "expected a number ≥ 0 (η in T = |W| + η; ASAM uses 0.01)" }).default(0.01),
  /** How biases are normalized: "identity" (T = 1, the authors' code) or "adaptive" (T = |W| + η). */
  biases: z.enum(ASAM_BIASES).default("identity"),
});
export type AsamOptions = z.output<typeof asamOptions>;

/** A bias by its name: last path segment "bias" or "beta" (BatchNorm's shift), optionally with a "_<n>" suffix. */
export function isBiasName(name: string): boolean {
  const last = name.slice(name.lastIndexOf("/") + 1);
  return /^(bias|beta)(_\d+)?$/.test(last);
}

/**
 * ASAM's ε = ρ · T² g / ‖T g‖ for the variables that `grads` names (T = 1 on the variables that
 * `identity` selects). Norms stay tensors; each variable's share is one fused pass.
 */
export function asamPerturbation(
  variables: readonly tf.Variable[],
  grads: tf.NamedTensorMap,
  rho: number,
  eta: number,
  identity: (v: tf.Variable) => boolean = () => false,
): tf.NamedTensorMap {
  const pairs = variables.filter((v) => grads[v.name] !== undefined).map((v) => [v, grads[v.name], identity(v)] as const);
  const out: tf.NamedTensorMap = {};
  if (pairs.length === 0) return out;
  const c = tf.tidy(() => {
    const parts = pairs.map(([w, g, plain]) => (plain ? sumOfSquares(g) : (adaptiveGradientSquares([w, g], { eta })[0] as tf.Scalar)));
    return over(rho, tf.sqrt(addMany(parts)) as tf.Scalar);
  });
  for (const [w, g, plain] of pairs) out[w.name] = plain ? linearCombination([[g, c]]) : adaptivePerturbation([w, g, c], { eta })[0];
  c.dispose();
  return out;
}

@injectable()
export class AsamPlugin implements FlatfitPlugin {
  static readonly id = "asam";
  static readonly coreApi = "^1";
  static readonly options = asamOptions;

  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: AsamOptions,
    private readonly logger: Logger,
  ) {}

  apply(hooks: FlatfitHooks): void {
    const { rho, eta, biases } = this.options;
    const identity = biases === "identity" ? (v: tf.Variable) => isBiasName(v.name) : () => false;
    this.logger.debug(`asam: rho=${rho}, eta=${eta}, biases=${biases} (2 gradient evaluations per step)`);
    hooks.gradient.tap(AsamPlugin.id, (oracle: GradientOracle, ctx: StepContext): GradientOracle => () =>
      ascentStep(oracle, ctx, (g) => asamPerturbation(ctx.variables, g, rho, eta, identity)),
    );
  }
}

export default AsamPlugin;
