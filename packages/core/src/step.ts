/**
 * The step engine: one training step as a chain of gradient middlewares.
 *
 *   beforeStep → oracle = gradient.call(baseOracle) → oracle() → afterGradient
 *   → optimizer.applyGradients(grads), exactly once → afterStep
 *
 * With no step hooks tapped, a step is exactly `tf.variableGrads` + `applyGradients` (bit-identical
 * to plain training). Otherwise the first closure call of a step is always a clean one (at the
 * unperturbed weights): if the chain's first evaluation is a perturbed one, a forward pass at the
 * clean weights runs first. `model.fit` reports that call's loss and metrics.
 */
import * as tf from "@tensorflow/tfjs";
import type { StepContext } from "./context";
import { collectKept, disposeKept, preserveOtherVariables, recordRandom, replayRandom } from "./closure-guard";
import type { FlatfitHooks } from "./hooks";
import type { HessianVectorProduct, HvpOptions } from "./hvp";
import type { Logger } from "./logger";
import { withOffsets, type GradientOracle, type GradientResult } from "./perturb";
import type { RandomSource } from "./random";
import type { NamedTensors } from "./tensors";

export interface StepServices {
  hooks: FlatfitHooks;
  random: RandomSource;
  logger: Logger;
  hvp: HessianVectorProduct;
}

/** The trainable variables tfjs would differentiate when no list is given. */
export function defaultVariables(): tf.Variable[] {
  return Object.values(tf.engine().registeredVariables).filter((v) => v.trainable);
}

export class StepEngine {
  /** Steps completed. */
  step = 0;
  /** Set by `ff.callbacks()` during `fit`. */
  epoch = 0;
  batch = 0;

  constructor(private readonly services: StepServices) {}

  /** True when no plugin taps a per-step hook: steps are then plain `variableGrads` + apply. */
  get passThrough(): boolean {
    const h = this.services.hooks;
    return !h.beforeStep.isUsed() && !h.gradient.isUsed() && !h.afterGradient.isUsed() && !h.afterStep.isUsed();
  }

  /** Final gradients of one step (not applied) and the loss at the unperturbed weights. */
  gradients(f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap; ctx?: StepRun } {
    const variables = varList ?? defaultVariables();
    if (this.passThrough) {
      const { value, grads } = tf.variableGrads(f, variables);
      return { value, grads };
    }
    const { hooks } = this.services;
    const ctx = new StepRun(this, this.services, f, variables);
    // A step that throws is rolled back: non-trainable state (BatchNorm statistics, plugin
    // state) is put back as it was before the step. Trainable weights are restored by evaluateAt.
    // The clean call's kept metric tensors are fit's to dispose, unless the step fails.
    let out: { grads: tf.NamedTensorMap; value: tf.Scalar };
    try {
      out = preserveOtherVariables(
        ctx.trainable,
        () => {
          hooks.beforeStep.call(ctx);
          return tf.tidy(() => {
            const oracle = hooks.gradient.call(ctx.baseOracle, ctx);
            const result = oracle();
            ctx.ensureClean();
            const grads = hooks.afterGradient.call(result.grads, ctx);
            return { grads, value: ctx.cleanLoss as tf.Scalar };
          });
        },
        { onlyOnError: true },
      );
    } catch (err) {
      tf.dispose(ctx.cleanKept);
      ctx.cleanLoss?.dispose();
      throw err;
    }
    return { value: out.value, grads: out.grads, ctx };
  }

  /** One whole step: gradients, applied once through `optimizer`, then `afterStep`. */
  run(f: () => tf.Scalar, varList: tf.Variable[] | undefined, optimizer: tf.Optimizer): tf.Scalar {
    const { value, grads, ctx } = this.gradients(f, varList);
    try {
      optimizer.applyGradients(grads);
    } catch (err) {
      value.dispose();
      throw err;
    } finally {
      tf.dispose(Object.values(grads));
    }
    if (ctx) this.services.hooks.afterStep.call(ctx);
    this.step++;
    return value;
  }
}

/** The context of one step (what taps receive as `ctx`). */
export class StepRun implements StepContext {
  readonly data = new Map<string, unknown>();
  readonly step: number;
  readonly epoch: number;
  readonly batch: number;
  readonly random: RandomSource;
  readonly logger: Logger;
  /** Loss of the clean (first) closure call. */
  cleanLoss?: tf.Scalar;
  /** Tensors the clean call kept (fit's metric values). */
  readonly cleanKept: tf.Tensor[] = [];
  private calls = 0;
  private depth = 0;
  private readonly randomTape: number[] = [];
  readonly trainable: ReadonlySet<tf.Variable>;

  constructor(
    engine: StepEngine,
    private readonly services: StepServices,
    private readonly closure: () => tf.Scalar,
    readonly variables: readonly tf.Variable[],
  ) {
    this.step = engine.step;
    this.epoch = engine.epoch;
    this.batch = engine.batch;
    this.random = services.random;
    this.logger = services.logger;
    this.trainable = new Set(variables);
  }

  /** Evaluates the closure and its gradients at the variables' current values. */
  readonly baseOracle: GradientOracle = () => this.evaluate(true) as GradientResult;

  evaluateAt<T>(offsets: NamedTensors, fn: () => T): T {
    if (this.depth === 0) this.ensureClean();
    this.depth++;
    try {
      return withOffsets(this.variables, offsets, fn);
    } finally {
      this.depth--;
    }
  }

  hvp(oracle: GradientOracle, v: NamedTensors, opts?: HvpOptions): NamedTensors {
    return this.services.hvp.product(this, oracle, v, opts);
  }

  /** Makes sure the clean call (what fit reports, what moves BatchNorm statistics) happened. */
  ensureClean(): void {
    if (this.calls === 0) this.evaluate(false);
  }

  private evaluate(withGrads: boolean): GradientResult | undefined {
    const first = this.calls === 0;
    this.calls++;
    const run = (): GradientResult => {
      if (!withGrads) return { loss: this.closure(), grads: {} };
      const { value, grads } = tf.variableGrads(this.closure, this.variables as tf.Variable[]);
      return { loss: value, grads };
    };
    if (first) {
      const result = recordRandom(this.randomTape, () => collectKept(this.cleanKept, run));
      // kept: a plugin may have made this call inside a tf.tidy of its own
      this.cleanLoss = tf.keep(result.loss);
      return withGrads ? result : undefined;
    }
    return replayRandom(this.randomTape, () => preserveOtherVariables(this.trainable, () => disposeKept(run)));
  }
}
