/**
 * The optimizer `model.fit` sees. It wraps the user's optimizer: every `minimize` call runs a
 * flatfit step (plugins' gradient chain), and the final gradients reach the inner optimizer's
 * `applyGradients` exactly once. Learning rate, iterations and serialization are delegated;
 * `getWeights`/`setWeights` carry the inner optimizer's state AND the plugins' state.
 *
 * Save and resume: `model.save(url, {includeOptimizer: true})`, `tf.loadLayersModel(url)`, then
 * `ff.attach(model)`. The saved optimizer is the inner one (its class name, its config, its
 * weights), so the model loads without flatfit too; flatfit's state (plugins, step count, random
 * stream) rides in the config under the key `flatfit` (see saved-state.ts). Models saved by
 * earlier versions (class `FlatfitOptimizer`, plugin state among the optimizer weights) still load:
 * into an unbound wrapper that holds the state until `attach`.
 */
import * as tf from "@tensorflow/tfjs";
import { CONFIG_KEY, encodeState, type SavedStateConfig } from "./saved-state";
import type { NamedTensor } from "./tensors";

/** Optimizer weights whose names start with this belong to plugins, not the inner optimizer. */
export const STATE_PREFIX = "__flatfit__/";
const BRAND = Symbol.for("flatfit.optimizer");

/** What a bound wrapper needs from its flatfit instance. */
export interface OptimizerRuntime {
  minimize(f: () => tf.Scalar, varList: tf.Variable[] | undefined, inner: tf.Optimizer): tf.Scalar;
  gradients(f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap };
  /** flatfit's state (plugins, step count, random stream), encoded for the optimizer config. */
  encodeState(): SavedStateConfig;
  /** Restores plugin state from optimizer weights (names start with STATE_PREFIX). */
  loadPluginWeights(weights: NamedTensor[]): void;
}

type InnerWithLr = tf.Optimizer & { learningRate?: number; setLearningRate?(lr: number): void };

export function isFlatfitOptimizer(x: unknown): x is FlatfitOptimizer {
  return typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
}

export class FlatfitOptimizer extends tf.Optimizer {
  static className = "FlatfitOptimizer";
  readonly [BRAND] = true;
  private pending: NamedTensor[] = [];

  constructor(
    readonly inner: tf.Optimizer,
    private runtime?: OptimizerRuntime,
  ) {
    super();
    if (inner == null || typeof inner.applyGradients !== "function") {
      throw new TypeError("wrap(optimizer): expected a tf.Optimizer (e.g. tf.train.sgd(0.1)), got " + String(inner));
    }
  }

  /** True when this wrapper runs a flatfit instance's plugins (false right after loading a model). */
  get bound(): boolean {
    return this.runtime !== undefined;
  }

  /** Whether this wrapper runs the plugins of the instance that `runtime` belongs to. */
  runsWith(runtime: OptimizerRuntime): boolean {
    return this.runtime === runtime;
  }

  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    this.releaseSaved();
    if (!this.runtime) return this.inner.minimize(f, returnCost, varList);
    const loss = this.runtime.minimize(f, varList, this.inner);
    if (returnCost) return loss;
    loss.dispose();
    return null;
  }

  override computeGradients(f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    if (!this.runtime) return this.inner.computeGradients(f, varList);
    return this.runtime.gradients(f, varList);
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    this.inner.applyGradients(variableGradients);
  }

  /** The inner optimizer's learning rate; schedulers that set it on the wrapper reach the inner one. */
  get learningRate(): number {
    return (this.inner as InnerWithLr).learningRate as number;
  }
  set learningRate(lr: number) {
    const inner = this.inner as InnerWithLr;
    if (typeof inner.setLearningRate === "function") inner.setLearningRate(lr);
    else inner.learningRate = lr;
  }
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }

  override get iterations(): number {
    return this.inner.iterations;
  }

  /** The inner optimizer's weights (flatfit's own state travels in `getConfig`). */
  override async getWeights(): Promise<NamedTensor[]> {
    this.releaseSaved();
    const inner = await this.inner.getWeights();
    // tfjs's optimizers make a fresh `iter` scalar per call that model.save never frees: freed here, at the next call or step
    this.saved = inner.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable));
    return inner;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const plugin = weightValues.filter((w) => w.name.startsWith(STATE_PREFIX));
    const inner = weightValues.filter((w) => !w.name.startsWith(STATE_PREFIX));
    if (this.runtime) this.runtime.loadPluginWeights(plugin);
    else this.replacePending(plugin);
    await this.inner.setWeights(inner);
  }

  private saved: tf.Tensor[] = [];
  private releaseSaved(): void {
    tf.dispose(this.saved);
    this.saved = [];
  }

  private replacePending(weights: NamedTensor[]): void {
    tf.dispose(this.pending.map((w) => w.tensor));
    this.pending = weights.map((w) => ({ name: w.name, tensor: tf.keep(tf.clone(w.tensor)) }));
  }

  /** Hands over plugin state loaded into an unbound wrapper (used by `ff.attach`). */
  takePendingState(): NamedTensor[] {
    const p = this.pending;
    this.pending = [];
    return p;
  }

  /** Saved as the inner optimizer: a model saved with `includeOptimizer` loads without flatfit. */
  override getClassName(): string {
    return this.inner.getClassName();
  }

  /** The inner optimizer's config, plus flatfit's state under `flatfit` (read to the host: not for use inside a step). */
  override getConfig(): tf.serialization.ConfigDict {
    const state = this.runtime ? this.runtime.encodeState() : undefined;
    return { ...this.inner.getConfig(), [CONFIG_KEY]: (state ?? pendingConfig(this.pending)) as unknown as tf.serialization.ConfigDict };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const innerSpec = config["inner"] as { className: string; config: tf.serialization.ConfigDict } | undefined;
    if (!innerSpec || typeof innerSpec.className !== "string") {
      throw new Error('FlatfitOptimizer config: expected {inner: {className, config}}, e.g. {inner: {className: "SGD", config: {learningRate: 0.1}}}');
    }
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[innerSpec.className];
    if (!entry) throw new Error(`FlatfitOptimizer config: unknown inner optimizer class "${innerSpec.className}"`);
    const [innerCls, innerFromConfig] = entry;
    const inner = innerFromConfig(innerCls, innerSpec.config ?? {}) as unknown as tf.Optimizer;
    return new (cls as unknown as typeof FlatfitOptimizer)(inner) as unknown as T;
  }

  override dispose(): void {
    this.releaseSaved();
    tf.dispose(this.pending.map((w) => w.tensor));
    this.pending = [];
    this.inner.dispose();
  }
}

/** State loaded into an unbound wrapper (a model saved by an earlier version), encoded again. */
function pendingConfig(pending: readonly NamedTensor[]): SavedStateConfig | undefined {
  return pending.length === 0 ? undefined : encodeState(pending.map((w) => ({ name: w.name.slice(STATE_PREFIX.length), tensor: w.tensor })));
}

// Models saved by earlier versions name this class.
tf.serialization.registerClass(FlatfitOptimizer);
