/**
 * SEHT, a Hessian-trace penalty λ·tr(H) estimated stochastically (Liu, Yu & Lin, 2022; SEHT-H with
 * Rademacher σ, SEHT-D with sparse σ). The penalty of one draw is λ·σᵀHσ; its gradient, a third
 * derivative, comes from a second difference of gradients:
 *
 *   ∇(σᵀHσ) ≈ (∇L(W + εσ) − 2g + ∇L(W − εσ)) / ε²
 *   out     = g + λ · mean over `samples` draws
 *
 * σ has entries +1 and −1 with probability p each, 0 otherwise; each variable ("layer") takes part
 * with probability p₁ (a 0/1 tensor per variable: nothing is read back to the host). ε is scaled to
 * the weights: ε·‖σ‖ = SECOND_DIFFERENCE_STEP · max(‖W‖, 1). Cost: 1 + 2·samples gradient
 * evaluations on penalized steps (every `every`-th), 1 on the others.
 */
import * as tf from "@tensorflow/tfjs";
import { inject, injectable } from "tsyringe";
import {
  axpyNamed,
  globalNorm,
  PLUGIN_OPTIONS,
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
  static readonly options = sehtOptions;

  constructor(@inject(PLUGIN_OPTIONS) readonly opts: SehtOptions) {}

  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap(ID, (oracle: GradientOracle, ctx: StepContext): GradientOracle => {
      if (ctx.step % this.opts.every !== 0) return oracle;
      return () => {
        const base = oracle();
        const g = base.grads;
        let sum: tf.NamedTensorMap | undefined;
        for (let s = 0; s < this.opts.samples; s++) {
          const previous = sum;
          // Each draw in its own tidy: memory stays flat however many samples are taken.
          sum = tf.tidy(() => {
            const est = this.secondDifference(ctx, oracle, g);
            if (!previous) return est;
            const added: tf.NamedTensorMap = {};
            for (const name of Object.keys(est)) added[name] = tf.add(previous[name], est[name]);
            return added;
          });
          if (previous) tf.dispose(Object.values(previous));
        }
        return { loss: base.loss, grads: axpyNamed(g, this.opts.lambda / this.opts.samples, sum!) };
      };
    });
  }

  /** Draws σ and returns (∇L(W+εσ) − 2g + ∇L(W−εσ))/ε², keyed like `g`. */
  private secondDifference(ctx: StepContext, oracle: GradientOracle, g: tf.NamedTensorMap): tf.NamedTensorMap {
    const { prob, layerProb } = this.opts;
    const sigma: tf.NamedTensorMap = {};
    const weights: tf.NamedTensorMap = {};
    for (const w of ctx.variables) {
      if (g[w.name] === undefined) continue;
      weights[w.name] = w;
      let s = ctx.random.signs(w.shape, prob);
      if (layerProb < 1) s = tf.mul(s, tf.cast(tf.less(ctx.random.uniform([]), layerProb), "float32"));
      sigma[w.name] = s;
    }
    // ‖σ‖ is 0 or ≥ 1: with max(‖σ‖, 1) an all-zero draw gives offsets 0 and an estimate of exactly 0.
    const eps = tf.div(tf.mul(tf.maximum(globalNorm(weights), 1), SECOND_DIFFERENCE_STEP), tf.maximum(globalNorm(sigma), 1)) as tf.Scalar;
    const plus: tf.NamedTensorMap = {};
    const minus: tf.NamedTensorMap = {};
    for (const name of Object.keys(sigma)) {
      plus[name] = tf.mul(sigma[name], eps);
      minus[name] = tf.neg(plus[name]);
    }
    const gPlus = ctx.evaluateAt(plus, oracle).grads;
    const gMinus = ctx.evaluateAt(minus, oracle).grads;
    const eps2 = tf.square(eps);
    const out: tf.NamedTensorMap = {};
    for (const name of Object.keys(sigma)) {
      out[name] = tf.div(tf.sub(tf.add(gPlus[name], gMinus[name]), tf.mul(g[name], 2)), eps2);
    }
    return out;
  }
}
