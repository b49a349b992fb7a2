/**
 * Gradient-ℓ1 regularization (Alizadeh et al., ICLR 2020): penalty λ‖∇_W L‖₁, whose gradient is
 *
 *   out = g + λ·H·sign(g),   H·sign(g) ≈ (∇L(W + ε·sign(g)) − g) / ε                    hvp.method "forward"
 *                            H·sign(g) ≈ (∇L(W + ε·sign(g)) − ∇L(W − ε·sign(g))) / 2ε   hvp.method "central"
 *
 * with g = ∇L(W); the finite difference is core's HVP service with the config's `hvp` settings
 * (ε scaled to the weights). Gradient evaluations per step inside the schedule: two with
 * "forward" (the default; it reuses g), three with "central"; one outside the schedule.
 */
import * as tf from "@tensorflow/tfjs";
import { inject, injectable } from "tsyringe";
import { axpyNamed, mapNamed, PLUGIN_OPTIONS, z, type FlatfitHooks, type FlatfitPlugin, type GradientOracle, type StepContext } from "@flatfit/core";

const ID = "grad-l1";

export const gradL1Options = z
  .strictObject({
    /** Penalty strength λ (> 0). */
    lambda: z.number().gt(0, { message: "expected a number > 0 (the penalty strength λ)" }),
    /** First epoch (or step) with the penalty, inclusive; counted from 0. */
    from: z.number().int().min(0, { message: "expected an integer ≥ 0 (first epoch/step of the schedule, counted from 0)" }).default(0),
    /** Last epoch (or step) with the penalty, inclusive; absent = no end. */
    until: z.number().int().min(0, { message: "expected an integer ≥ 0 (last epoch/step of the schedule, inclusive), or leave it out for no end" }).optional(),
    /** What `from` and `until` count: epochs (of `model.fit`, through `ff.callbacks()`) or steps. */
    unit: z.enum(["epoch", "step"]).default("epoch"),
  })
  .refine((o) => o.until === undefined || o.from <= o.until, {
    message: "\"from\" must be ≤ \"until\" (the schedule is the inclusive range from…until)",
    path: ["from"],
  });

export type GradL1Options = z.output<typeof gradL1Options>;

@injectable()
export class GradL1Plugin implements FlatfitPlugin {
  static readonly id = ID;
  static readonly coreApi = "^1";
  static readonly options = gradL1Options;

  constructor(@inject(PLUGIN_OPTIONS) readonly opts: GradL1Options) {}

  /** True when the step of `ctx` lies inside the schedule [from, until]. */
  active(ctx: Pick<StepContext, "epoch" | "step">): boolean {
    const t = this.opts.unit === "epoch" ? ctx.epoch : ctx.step;
    return t >= this.opts.from && (this.opts.until === undefined || t <= this.opts.until);
  }

  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap(ID, (oracle: GradientOracle, ctx: StepContext): GradientOracle => {
      if (!this.active(ctx)) return oracle;
      const lambda = this.opts.lambda;
      return () => {
        const base = oracle();
        const direction = mapNamed(base.grads, (g) => tf.sign(g));
        // The config's hvp.method decides: "forward" reuses g, "central" evaluates at W ± ε·sign(g).
        const hs = ctx.hvp(oracle, direction, { grads: base.grads });
        return { loss: base.loss, grads: axpyNamed(base.grads, lambda, hs) };
      };
    });
  }
}
