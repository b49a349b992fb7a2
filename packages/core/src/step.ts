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
 *
 * A step that throws anywhere — a plugin's tap, the optimizer, `afterStep` — is rolled back
 * whole: weights, BatchNorm statistics, plugin state, the optimizer's slots and iteration count
 * are as before it, and the step counter does not move.
 */
import * as tf from "@tensorflow/tfjs";
import type { StepContext } from "./context";
import { collectKept, KeptScalars, preserveOtherVariables, recordRandom, replayRandom, UploadLog } from "./closure-guard";
import type { FlatfitHooks } from "./hooks";
import { HostReadWatch } from "./host-reads";
import type { HessianVectorProduct, HvpOptions } from "./hvp";
import type { Logger } from "./logger";
import { withMovedWeights, withOffsets, type GradientOracle, type GradientResult, type WeightMove } from "./perturb";
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

type WithIterations = { iterations_?: number };

export class StepEngine {
  /** Steps completed (saved with the optimizer's weights: a resumed run continues the count). */
  step = 0;
  /** Set by `ff.callbacks()` during `fit` / `fitDataset`. */
  epoch = 0;
  batch = 0;
  /** Metric scalars that repeated closure calls kept; freed at the next step or by `flush`. */
  readonly kept = new KeptScalars();
  /**
   * The model being trained, when known (`attach`, or a fit with `ff.callbacks()`): its metrics are
   * then not computed at all on repeated closure calls, so trainOnBatch reports exactly plain tfjs's list.
   */
  model?: tf.LayersModel;

  constructor(private readonly services: StepServices) {}

  /** True when no plugin taps a per-step hook: steps are then plain `variableGrads` + apply. */
  get passThrough(): boolean {
    const h = this.services.hooks;
    // taps, not isUsed(): every hook carries flatfit's error-naming interceptor, which isUsed() counts
    return h.beforeStep.taps.length === 0 && h.gradient.taps.length === 0 && h.afterGradient.taps.length === 0 && h.afterStep.taps.length === 0;
  }

  /**
   * Final gradients of one step (not applied) and the loss at the unperturbed weights. Variables
   * in `varList` that are not trainable (a layer frozen after compile) get `null`, as
   * `tf.variableGrads` gives them: the optimizer skips them, as in plain training.
   */
  gradients(f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap; ctx?: StepRun } {
    const variables = varList ?? defaultVariables();
    if (this.passThrough) {
      const { value, grads } = tf.variableGrads(f, variables);
      return { value, grads };
    }
    this.kept.flush();
    const { hooks, logger } = this.services;
    const trainable = variables.filter((v) => v.trainable);
    const ctx = new StepRun(this, this.services, f, trainable);
    const reads = logger.level === "debug" ? new HostReadWatch() : undefined;
    // A step that throws is rolled back: non-trainable state (BatchNorm statistics, plugin
    // state) is put back as it was before the step. Trainable weights are restored by evaluateAt.
    // The clean call's kept metric tensors are fit's to dispose, unless the step fails.
    let out: { grads: tf.NamedTensorMap; value: tf.Scalar };
    try {
      const body = () =>
        preserveOtherVariables(
          ctx.trainable,
          () => {
            hooks.beforeStep.call(ctx);
            return tf.tidy(() => {
              const oracle = hooks.gradient.call(ctx.baseOracle, ctx);
              const result = oracle();
              ctx.ensureClean();
              const grads = hooks.afterGradient.call(result.grads, ctx);
              return { grads: inVariableOrder(grads, variables), value: ctx.cleanLoss as tf.Scalar };
            });
          },
          { onlyOnError: true },
        );
      out = reads ? reads.watch(body) : body();
    } catch (err) {
      tf.dispose(ctx.cleanKept);
      ctx.cleanLoss?.dispose();
      this.kept.flush(); // nobody reads a failed step's values
      throw err;
    }
    if (reads && reads.count > 0) {
      logger.debug(`step ${ctx.step}: ${reads.count} device→host read(s) inside the step (${reads.where()}); each one stalls a GPU pipeline`);
    }
    return { value: out.value, grads: out.grads, ctx };
  }

  /** One whole step: gradients, applied once through `optimizer`, then `afterStep`. */
  run(f: () => tf.Scalar, varList: tf.Variable[] | undefined, optimizer: tf.Optimizer): tf.Scalar {
    if (this.passThrough) {
      const { value, grads } = this.gradients(f, varList);
      try {
        applyAsMinimize(optimizer, grads, varList);
      } catch (err) {
        value.dispose();
        throw err;
      } finally {
        tf.dispose(Object.values(grads).filter((g) => g != null));
      }
      this.step++;
      return value;
    }
    const iterations = (optimizer as unknown as WithIterations).iterations_;
    // Every variable the step writes — plugin state in any hook, the optimizer's slots, the
    // weights — comes back if any part of it throws.
    const value = preserveOtherVariables(
      new Set(),
      () => {
        const { value, grads, ctx } = this.gradients(f, varList);
        try {
          applyAsMinimize(optimizer, grads, varList);
          this.services.hooks.afterStep.call(ctx!);
        } catch (err) {
          if (iterations !== undefined) (optimizer as unknown as WithIterations).iterations_ = iterations;
          tf.dispose(ctx!.cleanKept);
          this.kept.flush();
          value.dispose();
          throw err;
        } finally {
          tf.dispose(Object.values(grads).filter((g) => g != null));
        }
        return value;
      },
      { onlyOnError: true },
    );
    this.step++;
    // Like minimize's: the loss belongs to the caller's scope (an enclosing tf.tidy frees it).
    const loss = tf.clone(value);
    value.dispose();
    return loss;
  }
}

/**
 * Applies the gradients as tfjs's `Optimizer.minimize` does: with a variable list, as an array in
 * that list's order (a variable that is not trainable keeps its place with a null gradient, so an
 * optimizer whose slots follow positions — Adam, RMSprop… — keeps each slot on its variable when a
 * layer is frozen after compile); without one, as the map.
 */
function applyAsMinimize(optimizer: tf.Optimizer, grads: tf.NamedTensorMap, varList: readonly tf.Variable[] | undefined): void {
  if (varList === undefined) return optimizer.applyGradients(grads);
  optimizer.applyGradients(varList.map((v) => ({ name: v.name, tensor: grads[v.name] ?? null })) as unknown as Parameters<tf.Optimizer["applyGradients"]>[0]);
}

/** The gradients keyed in the step's variable order; variables that are not trainable get `null`. */
function inVariableOrder(grads: tf.NamedTensorMap, variables: readonly tf.Variable[]): tf.NamedTensorMap {
  const out: Record<string, tf.Tensor | null> = {};
  for (const v of variables) if (v.trainable && grads[v.name] !== undefined) out[v.name] = grads[v.name];
  for (const name of Object.keys(grads)) if (!(name in out)) out[name] = grads[name];
  for (const v of variables) if (!v.trainable) out[v.name] = null;
  return out as tf.NamedTensorMap;
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
  private readonly uploads = new UploadLog();
  readonly trainable: ReadonlySet<tf.Variable>;

  constructor(
    private readonly engine: StepEngine,
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
    return this.evaluateMoved(() => withOffsets(this.variables, offsets, fn));
  }

  evaluateWith<T>(move: WeightMove, fn: () => T): T {
    return this.evaluateMoved(() => withMovedWeights(this.variables, move, fn));
  }

  /** A moved evaluation: the clean call comes first (what fit reports), nested ones are counted. */
  private evaluateMoved<T>(run: () => T): T {
    if (this.depth === 0) this.ensureClean();
    this.depth++;
    try {
      return run();
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
      const result = recordRandom(this.randomTape, () => this.uploads.record(() => collectKept(this.cleanKept, run)));
      // kept: a plugin may have made this call inside a tf.tidy of its own
      this.cleanLoss = tf.keep(result.loss);
      return withGrads ? result : undefined;
    }
    return withoutMetrics(this.engine.model, () =>
      replayRandom(this.randomTape, () => preserveOtherVariables(this.trainable, () => this.uploads.check(() => this.engine.kept.run(run)))),
    );
  }
}

/** Runs `fn` with the model's compiled metrics switched off (fit's closure then keeps none). */
function withoutMetrics<T>(model: tf.LayersModel | undefined, fn: () => T): T {
  const m = model as unknown as { metricsTensors?: unknown[] } | undefined;
  const metrics = m?.metricsTensors;
  if (!m || !Array.isArray(metrics) || metrics.length === 0) return fn();
  m.metricsTensors = [];
  try {
    return fn();
  } finally {
    m.metricsTensors = metrics;
  }
}
