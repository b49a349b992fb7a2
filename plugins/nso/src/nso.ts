/**
 * NSO — noise-stability optimization with a two-point (±) noise injection.
 *
 * For j = 1..k a noise vector U_j (absolute, isotropic, standard deviation `sigma` on every entry
 * of every trainable tensor) is drawn, and the gradient handed on is
 *
 *   out = (1 / 2k) Σ_j [ ∇L(W + U_j) + ∇L(W − U_j) ]
 *
 * The ± pairing cancels the first-order term H·U exactly, so out ≈ g + (σ²/2)·∇tr H in
 * expectation: a gradient step on L + (σ²/2)·tr H. Cost: 2k gradient evaluations per step plus the
 * clean forward pass the engine runs for the loss `model.fit` reports (the clean gradient itself
 * is never computed).
 */
import * as tf from "@tensorflow/tfjs";
import { inject, injectable } from "tsyringe";
import {
  combineNamed,
  Logger,
  PLUGIN_OPTIONS,
  scaleNamed,
  z,
  type FlatfitHooks,
  type FlatfitPlugin,
  type GradientOracle,
  type GradientResult,
  type StepContext,
} from "@flatfit/core";

export const NSO_DISTRIBUTIONS = ["gaussian", "laplace", "uniform"] as const;
export type NsoDistribution = (typeof NSO_DISTRIBUTIONS)[number];

const optionsSchema = z.strictObject({
  /** Standard deviation of the noise on every weight (absolute, not scaled by the weights). */
  sigma: z.number().gt(0).default(0.01),
  /** k: number of ± noise pairs per step (2k gradient evaluations). */
  samples: z.number().int().min(1).default(1),
  /** Shape of the noise; all three have standard deviation `sigma`. */
  distribution: z.enum(NSO_DISTRIBUTIONS).default("gaussian"),
});

export type NsoOptions = z.output<typeof optionsSchema>;

/** Draws noise of the given shape with standard deviation `sigma`, from the step's seeded source. */
export function drawNoise(ctx: Pick<StepContext, "random">, shape: number[], sigma: number, distribution: NsoDistribution): tf.Tensor {
  switch (distribution) {
    case "gaussian":
      return ctx.random.normal(shape, sigma);
    case "laplace":
      return ctx.random.laplace(shape, sigma);
    case "uniform": {
      // U(−a, a) has standard deviation a/√3.
      const a = Math.sqrt(3) * sigma;
      return ctx.random.uniform(shape, -a, a);
    }
  }
}

@injectable()
export class NsoPlugin implements FlatfitPlugin {
  static readonly id = "nso";
  static readonly coreApi = "^1";
  static readonly options = optionsSchema;

  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: NsoOptions,
    private readonly logger: Logger,
  ) {}

  apply(hooks: FlatfitHooks): void {
    const { sigma, samples, distribution } = this.options;
    this.logger.debug(`nso: sigma=${sigma}, samples=${samples}, distribution=${distribution} (${2 * samples} gradient evaluations per step)`);
    hooks.gradient.tap(NsoPlugin.id, (oracle: GradientOracle, ctx: StepContext) => () => this.twoPoint(oracle, ctx));
  }

  private twoPoint(oracle: GradientOracle, ctx: StepContext): GradientResult {
    const { sigma, samples, distribution } = this.options;
    const scale = 1 / (2 * samples);
    // Running sum of the 2k gradients, scaled by 1/2k in the last sample's (fused) sum.
    let gradSum: tf.NamedTensorMap | undefined;
    let lossSum: tf.Scalar | undefined;
    for (let j = 0; j < samples; j++) {
      const plus: tf.NamedTensorMap = {};
      for (const v of ctx.variables) plus[v.name] = drawNoise(ctx, v.shape, sigma, distribution);
      const minus = scaleNamed(plus, -1);
      const a = ctx.evaluateAt(plus, oracle);
      const b = ctx.evaluateAt(minus, oracle);
      for (const name of Object.keys(a.grads)) {
        if (b.grads[name] === undefined) throw new Error(`nso: the wrapped oracle returned no gradient for "${name}"`);
      }
      const c = j === samples - 1 ? scale : 1;
      const terms: [tf.NamedTensorMap, number][] = [
        [a.grads, c],
        [b.grads, c],
      ];
      if (gradSum) terms.unshift([gradSum, c]);
      const next = combineNamed(terms);
      const nextLoss = tf.tidy(() => tf.mul(lossSum ? tf.addN([lossSum, a.loss, b.loss]) : tf.add(a.loss, b.loss), c) as tf.Scalar);
      // Free what this sum replaces (everything else is freed with the step's tidy).
      tf.dispose([...Object.values(plus), ...Object.values(minus), ...Object.values(a.grads), ...Object.values(b.grads), a.loss, b.loss]);
      if (gradSum) tf.dispose(Object.values(gradSum));
      if (lossSum) lossSum.dispose();
      gradSum = next;
      lossSum = nextLoss;
    }
    // The loss of the smoothed objective E[L(W ± U)], estimated from the same 2k points.
    return { loss: lossSum!, grads: gradSum! };
  }
}
