/**
 * HERO, Hessian-enhanced robust optimization (Yang et al., DAC 2022), Algorithm 1 / Eq. 15–17:
 *
 *   z    = perturbation direction from W and g = ∇L(W)  (see `scaling`)
 *   W*   = W + h·z,   g* = ∇L(W*),   d = g* − g
 *   out  = g* + gamma · 2·H(W*)·d,   H(W*)·d ≈ (∇L(W* + ε·d) − g*) / ε            hvp.method "forward"
 *                                     H(W*)·d ≈ (∇L(W* + ε·d) − ∇L(W* − ε·d)) / 2ε  hvp.method "central"
 *
 * 2·H(W*)·d is the gradient of G(U) = ‖∇L(U) − g‖² at U = W* (the paper's Eq. 16, dropping the
 * derivative of z). Gradient evaluations per step: three with the config's hvp.method "forward"
 * (the default), four with "central"; two when gamma = 0 (first-order only, no Hessian product).
 */
import * as tf from "@tensorflow/tfjs";
import { inject, injectable } from "tsyringe";
import {
  addMany,
  axpyNamed,
  linearCombination,
  PLUGIN_OPTIONS,
  subNamed,
  sumOfSquares,
  z,
  type FlatfitHooks,
  type FlatfitPlugin,
  type GradientOracle,
  type StepContext,
} from "@flatfit/core";
import { squaredWeightsTimesGradient, weightedGradientSquares } from "./kernels";

const ID = "hero";
/** Norms below this count as zero (the direction of a zero gradient is zero). */
const TINY = 1e-12;

export const HERO_SCALINGS = ["elementwise", "layer", "adaptive"] as const;
export type HeroScaling = (typeof HERO_SCALINGS)[number];

export const heroOptions = z.strictObject({
  /**
   * Perturbation step h (> 0), relative to each variable's own size: under "elementwise" and "layer"
   * scaling a one-element variable w moves by exactly h·|w|. The paper uses 0.5 on CIFAR-10 and 1.0
   * elsewhere; for scalar or very small variables use h ≤ 0.05 (see the README, "Choosing h").
   */
  h: z.number().gt(0, { message: "expected a number > 0 (the perturbation step h; the paper uses 0.5 or 1.0)" }).default(0.5),
  /** Hessian regularization strength γ (≥ 0; 0 = first-order only). Paper grid {0.01, 0.05, 0.1, 0.5, 1, 5}. */
  gamma: z.number().min(0, { message: "expected a number ≥ 0 (Hessian strength γ; the paper searches 0.01, 0.05, 0.1, 0.5, 1, 5; 0 turns the Hessian term off)" }).default(0.1),
  /** How z is scaled to the weights: "elementwise" (Eq. 15 as printed), "layer", or "adaptive" (authors' code). */
  scaling: z.enum(HERO_SCALINGS).default("elementwise"),
});

export type HeroOptions = z.output<typeof heroOptions>;

/** 1 / max(n, TINY): a zero norm gives a zero direction instead of NaN. */
const inverse = (n: tf.Scalar): tf.Scalar => tf.div(1, tf.maximum(n, TINY));

/**
 * The perturbation direction z, times `scale` (HERO uses scale = h), keyed like `grads`.
 *   elementwise: z_i = (W_i ⊙ W_i / ‖W_i‖) ⊙ g_i / ‖g_i‖
 *   layer:       z_i = ‖W_i‖ · g_i / ‖g_i‖
 *   adaptive:    z   = W ⊙ W ⊙ g / ‖ |W| ⊙ g ‖   (one norm over all variables)
 * Norms are scalar tensors and each z_i is one fused pass: nothing is read back to the host.
 */
export function heroDirection(variables: readonly tf.Variable[], grads: tf.NamedTensorMap, scaling: HeroScaling, scale = 1): tf.NamedTensorMap {
  const pairs = variables.filter((w) => grads[w.name] !== undefined).map((w) => [w, grads[w.name]] as const);
  const out: tf.NamedTensorMap = {};
  if (pairs.length === 0) return out;
  if (scaling === "adaptive") {
    const c = tf.tidy(() => tf.mul(inverse(tf.sqrt(addMany(pairs.map(([w, g]) => weightedGradientSquares([w, g], {})[0]))) as tf.Scalar), scale));
    for (const [w, g] of pairs) out[w.name] = squaredWeightsTimesGradient([w, g, c], {})[0];
    c.dispose();
    return out;
  }
  for (const [w, g] of pairs) {
    out[w.name] = tf.tidy(() => {
      const wNorm = tf.sqrt(sumOfSquares(w)) as tf.Scalar;
      const gInv = inverse(tf.sqrt(sumOfSquares(g)));
      if (scaling === "layer") return linearCombination([[g, tf.mul(tf.mul(wNorm, gInv), scale)]]);
      return squaredWeightsTimesGradient([w, g, tf.mul(tf.mul(inverse(wNorm), gInv), scale)], {})[0];
    });
  }
  return out;
}

@injectable()
export class HeroPlugin implements FlatfitPlugin {
  static readonly id = ID;
  static readonly coreApi = "^1";
  static readonly options = heroOptions;

  constructor(@inject(PLUGIN_OPTIONS) readonly opts: HeroOptions) {}

  apply(hooks: FlatfitHooks): void {
    const { h, gamma, scaling } = this.opts;
    hooks.gradient.tap(ID, (oracle: GradientOracle, ctx: StepContext): GradientOracle => () => {
      const base = oracle();
      const g = base.grads;
      const offsets = heroDirection(ctx.variables, g, scaling, h);
      return ctx.evaluateAt(offsets, () => {
        const star = oracle().grads;
        if (gamma === 0) return { loss: base.loss, grads: star };
        const d = subNamed(star, g);
        // The config's hvp.method decides: "forward" reuses g* (no extra gradient beyond the one
        // at W* + ε·d); "central" ignores it and evaluates at W* ± ε·d (one gradient more).
        const hd = ctx.hvp(oracle, d, { grads: star });
        return { loss: base.loss, grads: axpyNamed(star, 2 * gamma, hd) };
      });
    });
  }
}
