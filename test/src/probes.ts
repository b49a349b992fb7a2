/** Small plugins used by the cross-package tests. */
import * as tf from "@tensorflow/tfjs";
import { SlotVariables, type FlatfitHooks, type GradientOracle, type StepContext } from "@flatfit/core";

/** Evaluates the closure at three random perturbations per step; returns the mean gradient. */
export class ThreePerturbed {
  static id = "three-perturbed";
  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap("three-perturbed", (oracle: GradientOracle, ctx: StepContext) => () => {
      const results = [0, 1, 2].map(() => {
        const offsets: tf.NamedTensorMap = {};
        for (const v of ctx.variables) offsets[v.name] = ctx.random.normal(v.shape, 0.1);
        return ctx.evaluateAt(offsets, oracle);
      });
      const grads: tf.NamedTensorMap = {};
      for (const name of Object.keys(results[0].grads)) grads[name] = tf.div(tf.addN(results.map((r) => r.grads[name])), 3);
      return { loss: results[0].loss, grads };
    });
  }
}

/** Throws from inside the second perturbed evaluation of the step given by `failAt`. */
export class ThrowsMidway {
  static id = "throws-midway";
  constructor(readonly options: { failAt?: number } = {}) {}
  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap("throws-midway", (oracle: GradientOracle, ctx: StepContext) => () => {
      const offsets: tf.NamedTensorMap = {};
      for (const v of ctx.variables) offsets[v.name] = tf.onesLike(v);
      ctx.evaluateAt(offsets, oracle);
      return ctx.evaluateAt(offsets, () => {
        const r = oracle();
        if (ctx.step === (this.options.failAt ?? 0)) throw new Error("boom inside a perturbed evaluation");
        return r;
      });
    });
  }
}

/**
 * Keeps state across steps: an EMA m of the gradient, out = g + m (a heavy-ball-like term).
 * Its state is saved with the optimizer, by variable position (names change on reload).
 */
export class GradientEma {
  static id = "gradient-ema";
  private readonly m = new SlotVariables("m");
  apply(hooks: FlatfitHooks): void {
    hooks.afterGradient.tap("gradient-ema", (grads, ctx) => {
      const slots = this.m.ensure(ctx.variables);
      const out: tf.NamedTensorMap = {};
      ctx.variables.forEach((v, i) => {
        const g = grads[v.name];
        slots[i].assign(tf.add(tf.mul(slots[i], 0.9), tf.mul(g, 0.1)));
        out[v.name] = tf.add(g, slots[i]);
      });
      return out;
    });
  }
  getState(): tf.NamedTensorMap {
    return this.m.state();
  }
  setState(state: tf.NamedTensorMap): void {
    this.m.load(state);
  }
  dispose(): void {
    this.m.dispose();
  }
}

/** Records the epoch and step every step sees. */
export class Recorder {
  static id = "recorder";
  readonly seen: Array<{ step: number; epoch: number }> = [];
  apply(hooks: FlatfitHooks): void {
    hooks.beforeStep.tap("recorder", (ctx) => void this.seen.push({ step: ctx.step, epoch: ctx.epoch }));
  }
}
