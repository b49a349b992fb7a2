/**
 * SEHT, a Hessian-trace penalty λ·tr(H) estimated stochastically (Liu, Yu & Lin, 2022; SEHT-H with
 * Rademacher σ, SEHT-D with sparse σ). The penalty of one draw is λ·σᵀHσ; its gradient, a third
 * derivative, comes from a second difference of gradients:
 *
 *   ∇(σᵀHσ) ≈ (∇L(W + εσ) − 2g + ∇L(W − εσ)) / ε²
 *   out     = g + λ · mean over `samples` draws
 *
 * σ has entries +1 and −1 with probability p each, 0 otherwise; each variable ("layer") takes part
 * with probability p₁ (drawn on the host from the seeded source, like σ itself: nothing is read
 * back from the device). ε is scaled to the weights: ε·‖σ‖ = SECOND_DIFFERENCE_STEP · max(‖W‖, 1).
 * Each draw's terms and the running sum are one fused pass per variable. Cost: 1 + 2·samples
 * gradient evaluations on penalized steps (every `every`-th), 1 on the others.
 *
 * The config's `hvp` section does not apply: no Hessian-vector product is taken, the second
 * difference is symmetric already (so `hvp.method` has nothing to choose), and its step keeps
 * SECOND_DIFFERENCE_STEP rather than `hvp.relativeStep`, which is sized for first differences.
 */
import * as tf from "@tensorflow/tfjs";
import { inject, injectable } from "tsyringe";
import {
  globalNorm,
  linearCombination,
  PLUGIN_OPTIONS,
  scaleNamed,
  z,
  type FlatfitHooks,
  type FlatfitPlugin,
  type GradientOracle,
  type StepContext,
} from "@flatfit/core";

const ID = "seht";

/**
 * ε relative to the weight norm for the second difference. A second difference in float32 loses
 * about u·|g|/ε² to rounding (u ≈ 6e-8) and gains O(ε²) truncation error; the balance lies near
 * u^(1/4) ≈ 1.6e-2, ten times the first-difference step core uses for Hessian-vector products.
 */
export const SECOND_DIFFERENCE_STEP = 1e-2;

export const sehtOptions = z.strictObject({
  /** Penalty strength λ (> 0). The paper selects 0.001 from {0.0001, 0.001, 0.01, 0.1}. */
  lambda: z.number().gt(0, { message: "expected a number > 0 (the penalty strength λ; the paper selects 0.001)" }),
  /** p: probability of +1 and of −1 for each entry of σ, in (0, 0.5]; 0.5 = Rademacher (SEHT-H). */
  prob: z
    .number()
    .gt(0, { message: "expected a number in (0, 0.5]: the probability of +1 and of −1 for each entry (0.5 = Rademacher, SEHT-H)" })
    .max(0.5, { message: "expected a number in (0, 0.5]: the probability of +1 and of −1 for each entry (0.5 = Rademacher, SEHT-H)" })
    .default(0.5),
  /** p₁: probability that a variable (layer) takes part in a draw, in (0, 1]. */
  layerProb: z
    .number()
    .gt(0, { message: "expected a number in (0, 1]: the probability that a layer takes part in a draw" })
    .max(1, { message: "expected a number in (0, 1]: the probability that a layer takes part in a draw" })
    .default(1),
  /** Draws of σ per penalized step (the paper's maxIter: 1, 5 or 10). */
  samples: z.number().int({ message: "expected an integer ≥ 1 (draws of σ per step)" }).min(1, { message: "expected an integer ≥ 1 (draws of σ per step)" }).default(1),
  /** Apply the penalty on every n-th step only (steps where step % every === 0). */
  every: z.number().int({ message: "expected an integer ≥ 1 (penalize every n-th step)" }).min(1, { message: "expected an integer ≥ 1 (penalize every n-th step)" }).default(1),
});

export type SehtOptions = z.output<typeof sehtOptions>;

@injectable()
export class SehtPlugin implements FlatfitPlugin {
  static readonly id = ID;
  static readonly coreApi = "^1";
  static readonly options = sehtOptions;

  constructor(@inject(PLUGIN_OPTIONS) readonly opts: SehtOptions) {}

  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap(ID, (oracle: GradientOracle, ctx: StepContext): GradientOracle => {
      if (ctx.step % this.opts.every !== 0) return oracle;
      return () => {
        const base = oracle();
        const g = base.grads;
        // out = g + (λ/S)·Σ_s (∇L(W+εσ_s) − 2g + ∇L(W−εσ_s))/ε_s², one fused sum per draw; each
        // draw in its own tidy, so memory stays flat however many samples are taken.
        let out = g;
        for (let s = 0; s < this.opts.samples; s++) {
          const previous = out;
          out = tf.tidy(() => this.addDraw(ctx, oracle, g, previous, s === 0));
          if (s > 0) tf.dispose(Object.values(previous));
        }
        return { loss: base.loss, grads: out };
      };
    });
  }

  /**
   * Draws σ and returns acc + (λ/S)·(∇L(W+εσ) − 2g + ∇L(W−εσ))/ε², keyed like `g`
   * (`first`: acc is g itself, folded into g's coefficient).
   */
  private addDraw(ctx: StepContext, oracle: GradientOracle, g: tf.NamedTensorMap, acc: tf.NamedTensorMap, first: boolean): tf.NamedTensorMap {
    const { prob, layerProb, lambda, samples } = this.opts;
    const sigma: tf.NamedTensorMap = {};
    const weights: tf.NamedTensorMap = {};
    for (const w of ctx.variables) {
      if (g[w.name] === undefined) continue;
      weights[w.name] = w;
      // A layer left out of this draw is not perturbed (its σ is 0), but its gradient still
      // receives the penalty's third-derivative terms from the layers that are.
      if (layerProb < 1 && ctx.random.next() >= layerProb) continue;
      sigma[w.name] = ctx.random.signs(w.shape, prob);
    }
    // ‖σ‖ is 0 or ≥ 1: with max(‖σ‖, 1) an all-zero draw gives offsets 0 and an estimate of exactly 0.
    const eps = tf.div(tf.mul(tf.maximum(globalNorm(weights), 1), SECOND_DIFFERENCE_STEP), tf.maximum(globalNorm(sigma), 1)) as tf.Scalar;
    const gPlus = ctx.evaluateAt(scaleNamed(sigma, eps), oracle).grads;
    const gMinus = ctx.evaluateAt(scaleNamed(sigma, tf.neg(eps)), oracle).grads;
    const c = tf.div(lambda / samples, tf.square(eps));
    const minus2c = tf.mul(c, -2);
    const out: tf.NamedTensorMap = {};
    for (const name of Object.keys(weights)) {
      const plus = gPlus[name];
      const minus = gMinus[name];
      if (plus === undefined || minus === undefined) throw new Error(`seht: the wrapped oracle returned no gradient for "${name}"`);
      out[name] = first
        ? linearCombination([
            [g[name], tf.add(minus2c, 1)],
            [plus, c],
            [minus, c],
          ])
        : linearCombination([
            [acc[name], 1],
            [plus, c],
            [minus, c],
            [g[name], minus2c],
          ]);
    }
    return out;
  }
}
