/**
 * `createFlatfit(config)`: validates the config, resolves and builds the plugins in a DI
 * container of their own, picks the backend, and returns the instance users work with:
 * `wrap`, `attach`, `callbacks`, `step`, `evaluate`, `dispose`.
 */
import "reflect-metadata";
import * as tf from "@tensorflow/tfjs";
import type { DependencyContainer } from "tsyringe";
import { selectBackend } from "./backend";
import { FlatfitCallback, type CallbackOptions } from "./callbacks";
import { instrumentCompile, instrumentFit } from "./instrument";
import { coreConfigSchema, toIssues, type FlatfitConfig, type ResolvedCoreConfig } from "./config";
import { readConfigFile, type SourcedConfig } from "./config-file";
import { constructPlugin, createContainer } from "./container";
import type { EvalRow } from "./context";
import { isDataset, materialize } from "./dataset";
import { coreApiMismatch } from "./compat";
import { FlatfitConfigError, type ConfigIssue } from "./errors";
import { evaluateVariants } from "./evaluate";
import { createHooks, type FlatfitHooks } from "./hooks";
import { host } from "./host";
import { HessianVectorProduct } from "./hvp";
import { Logger, type LogSink } from "./logger";
import { FlatfitOptimizer, isFlatfitOptimizer, STATE_PREFIX, type OptimizerRuntime } from "./optimizer";
import { encodeState, takeStashedState, toTensors, watchOptimizerConfigs, type SavedStateConfig } from "./saved-state";
import { instrumentTaps, TapOwner } from "./taps";
import type { FlatfitPlugin, PluginClass } from "./plugin";
import { RandomSource } from "./random";
import { PluginResolveError, resolvePlugin } from "./resolve";
import { StepEngine } from "./step";
import type { NamedTensor } from "./tensors";

export interface CreateOptions {
  /** Folder that relative plugin paths resolve from (default: the config file's folder, or the cwd). */
  cwd?: string;
  /** Where log lines go (default: the console). */
  logSink?: LogSink;
}

interface LoadedPlugin {
  id: string;
  /** "hero#0": unique per position, used to name saved state. */
  key: string;
  /** "plugins[1] (grad-l1)": how errors name it. */
  label: string;
  instance: FlatfitPlugin;
}

export class Flatfit {
  readonly hooks: FlatfitHooks;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly hvp: HessianVectorProduct;
  readonly engine: StepEngine;
  private readonly runtime: OptimizerRuntime;
  private lastWrapped?: FlatfitOptimizer;
  /** The model this instance trains (one instance per model: plugin state and the step count are that model's). */
  private model?: tf.LayersModel;
  private disposed = false;

  /** Use `createFlatfit`; this constructor takes already validated parts. */
  constructor(
    readonly config: ResolvedCoreConfig,
    readonly backend: string,
    readonly container: DependencyContainer,
    private readonly plugins: LoadedPlugin[],
    hooks: FlatfitHooks,
  ) {
    this.hooks = hooks;
    this.random = container.resolve(RandomSource);
    this.logger = container.resolve(Logger);
    this.hvp = container.resolve(HessianVectorProduct);
    this.engine = new StepEngine({ hooks, random: this.random, logger: this.logger, hvp: this.hvp });
    this.runtime = {
      minimize: (f, varList, inner) => this.engine.run(f, varList, inner),
      gradients: (f, varList) => {
        const { value, grads } = this.engine.gradients(f, varList);
        return { value, grads };
      },
      encodeState: () => this.encodeState(),
      loadPluginWeights: (w) => this.loadStateWeights(w.map((x) => ({ name: x.name.slice(STATE_PREFIX.length), tensor: x.tensor }))),
    };
  }

  /**
   * The epoch that steps see as `ctx.epoch` (from 0). `fit` and `fitDataset` set it at every epoch;
   * a `trainOnBatch` or custom loop sets it itself (`ff.epoch = e` at the top of its epoch loop), or
   * epoch-scheduled options (e.g. grad-l1's `from`) see epoch 0 for the whole run.
   */
  get epoch(): number {
    return this.engine.epoch;
  }

  set epoch(value: number) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`ff.epoch: expected an integer >= 0 (got ${String(value)})`);
    this.engine.epoch = value;
  }

  /** The ids of the plugins, in the order they wrap. */
  get pluginIds(): string[] {
    return this.plugins.map((p) => p.id);
  }

  /** The plugin instance at `index` (in config order). */
  plugin<T extends FlatfitPlugin = FlatfitPlugin>(index: number): T {
    const p = this.plugins[index];
    if (!p) throw new RangeError(`plugin(${index}): this instance has ${this.plugins.length} plugins`);
    return p.instance as T;
  }

  /**
   * Wraps an optimizer: pass the result to `model.compile({optimizer})`. An optimizer that a saved
   * model was loaded with brings the flatfit state it was saved with (plugins, step count, random stream).
   */
  wrap(inner: tf.Optimizer): FlatfitOptimizer {
    this.assertLive("wrap");
    const base = isFlatfitOptimizer(inner) ? inner.inner : inner;
    const saved = takeStashedState(base);
    if (saved) {
      const tensors = toTensors(saved);
      try {
        this.loadStateWeights(tensors);
      } finally {
        tf.dispose(tensors.map((w) => w.tensor));
      }
    }
    const wrapped = new FlatfitOptimizer(base, this.runtime);
    this.lastWrapped = wrapped;
    return wrapped;
  }

  /**
   * Wraps the optimizer of an already compiled model in place, and makes every `model.fit` of
   * this model run with `ff.callbacks()` first (fed with fit's own `validationData`). A model
   * loaded with `tf.loadLayersModel` after `model.save(…, {includeOptimizer: true})` gets its
   * saved plugin state back. Returns the model.
   */
  attach<M extends tf.LayersModel>(model: M, opts: Omit<CallbackOptions, "validationData" | "validationBatches"> = {}): M {
    this.assertLive("attach");
    if (model.optimizer == null) throw new Error("attach(model): the model has no optimizer; compile it first (model.compile({optimizer, loss}))");
    this.bindModel(model, "attach(model)");
    instrumentFit(model, (validationData, validationBatches) => this.callbacks({ ...opts, validationData, validationBatches }) as FlatfitCallback);
    // A later model.compile (a new learning rate, a fresh optimizer) gets its optimizer wrapped too:
    // after attach, every fit runs the plugins, however often the model is compiled again.
    instrumentCompile(model, () => {
      if (this.disposed) return; // a disposed instance leaves later compiles to tfjs
      this.bindModel(model, "model.compile after ff.attach(model)");
      this.wrapModelOptimizer(model);
    });
    this.wrapModelOptimizer(model);
    return model;
  }

  /** Puts the model's optimizer inside a wrapper of this instance (unless it is one already). */
  private wrapModelOptimizer(model: tf.LayersModel): void {
    const current = model.optimizer;
    if (current == null || (isFlatfitOptimizer(current) && current === this.lastWrapped && current.runsWith(this.runtime))) return;
    const pending = isFlatfitOptimizer(current) ? current.takePendingState() : [];
    const wrapped = this.wrap(current);
    if (pending.length > 0) {
      try {
        this.loadStateWeights(pending.map((w) => ({ name: w.name.slice(STATE_PREFIX.length), tensor: w.tensor })));
      } finally {
        tf.dispose(pending.map((w) => w.tensor));
      }
    }
    model.optimizer = wrapped;
  }

  /** The callback for `model.fit({callbacks: [ff.callbacks({validationData})]})`. */
  callbacks(opts: CallbackOptions = {}): tf.Callback {
    this.assertLive("callbacks");
    return new FlatfitCallback(this.hooks, this.engine, this.random, this.logger, opts, (model) => {
      this.bindModel(model, "model.fit with ff.callbacks()");
      this.checkOptimizer(model, "model.fit with ff.callbacks()");
    });
  }

  /**
   * A fit that runs this instance's callback while the model's optimizer is not this instance's
   * wrapper would train without the plugins, silently: refused, with what to do.
   */
  private checkOptimizer(model: tf.LayersModel, where: string): void {
    if (this.engine.passThrough) return;
    const opt = model.optimizer;
    if (isFlatfitOptimizer(opt) && opt.runsWith(this.runtime)) return;
    const what = opt == null ? "no optimizer" : isFlatfitOptimizer(opt) ? "another flatfit instance's wrapper" : `a plain ${opt.getClassName?.() ?? "optimizer"}`;
    throw new Error(
      `${where}: the model's optimizer is ${what}, not wrapped by this flatfit instance, so its plugins (${this.pluginIds.join(", ")}) would not run. ` +
        `model.compile replaces the optimizer: compile with optimizer: ff.wrap(optimizer), or call ff.attach(model) once (attach wraps the ` +
        `optimizer of every later model.compile too).`,
    );
  }

  /**
   * Ties this instance to `model` (its first), and refuses what it cannot train right: a second
   * model, or a stateful RNN when plugins evaluate the closure several times per step.
   */
  private bindModel(given: tf.LayersModel, where: string): void {
    // A Sequential trains through the LayersModel it wraps (fit's callbacks see that one).
    const inner = (given as unknown as { model?: unknown }).model;
    const model = given instanceof tf.Sequential && inner instanceof tf.LayersModel ? inner : given;
    // ... and makes a new one, over the same layers, at every compile: that is the same model
    if (this.model !== undefined && this.model !== model && !sameLayers(this.model, model)) {
      throw new Error(
        `${where}: this flatfit instance already trains model "${this.model.name}", not "${model.name}". Plugin state and the ` +
          `step count belong to one model: create one instance per model (await createFlatfit(config) again, with the same config).`,
      );
    }
    this.model = model;
    this.engine.model = model;
    if (this.engine.passThrough) return;
    const stateful = statefulLayer(model);
    if (stateful) {
      throw new Error(
        `${where}: layer "${stateful}" is stateful (stateful: true). Gradient plugins evaluate the loss several times per step, ` +
          `which would advance its state once per evaluation. Train it with stateful: false, or without gradient plugins.`,
      );
    }
  }

  /**
   * One step of a custom training loop: the loss at the unperturbed weights is returned, the
   * plugins' final gradient is applied once by `optimizer` (default: the last wrapped one).
   */
  step(loss: () => tf.Scalar, vars?: tf.Variable[], optimizer?: tf.Optimizer): tf.Scalar {
    this.assertLive("step");
    const opt = optimizer ?? this.lastWrapped?.inner;
    if (!opt) throw new Error("step(loss, vars, optimizer?): no optimizer; pass one, or call ff.wrap(optimizer) first");
    const inner = isFlatfitOptimizer(opt) ? opt.inner : opt;
    return this.engine.run(loss, vars, inner);
  }

  /**
   * One row per variant: `float32` first, then what plugins add (e.g. `{variant: "4bit", bits: 4}`).
   * Data: `x, y` tensors, or a `tf.data.Dataset` of `{xs, ys}` batches as `x` (read once).
   */
  async evaluate(
    model: tf.LayersModel,
    x: tf.Tensor | tf.Tensor[] | tf.data.Dataset<tf.TensorContainer>,
    y?: tf.Tensor | tf.Tensor[],
    opts: { batchSize?: number } = {},
  ): Promise<EvalRow[]> {
    this.assertLive("evaluate");
    if (isDataset(x)) {
      const { pair, tensors } = await materialize(x);
      try {
        return await evaluateVariants(this.hooks, this.logger, model, pair[0], pair[1], opts.batchSize);
      } finally {
        tf.dispose(tensors);
      }
    }
    if (y === undefined) throw new TypeError("evaluate(model, x, y): y is missing (or pass a tf.data.Dataset of {xs, ys} as x)");
    return evaluateVariants(this.hooks, this.logger, model, x, y, opts.batchSize);
  }

  /** Frees what plugins hold. The instance cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.kept.flush();
    for (const p of this.plugins) p.instance.dispose?.();
  }

  private assertLive(what: string): void {
    if (this.disposed) throw new Error(`${what}: this flatfit instance was disposed`);
  }

  /** flatfit's state for a saved model: every plugin's `getState()`, the step count, the random stream. */
  private encodeState(): SavedStateConfig {
    const core: NamedTensor[] = [
      { name: "core/step", tensor: tf.scalar(this.engine.step, "int32") },
      { name: "core/random", tensor: tf.scalar(this.random.state, "int32") },
    ];
    try {
      const weights = [...core];
      for (const p of this.plugins) {
        const state = p.instance.getState?.();
        if (state) for (const [name, tensor] of Object.entries(state)) weights.push({ name: `${p.key}/${name}`, tensor });
      }
      return encodeState(weights);
    } finally {
      tf.dispose(core.map((w) => w.tensor));
    }
  }

  /** Restores what `encodeState` saved (names `core/…` and `<plugin key>/…`); the tensors stay the caller's. */
  private loadStateWeights(weights: NamedTensor[]): void {
    const byKey = new Map<string, tf.NamedTensorMap>();
    for (const w of weights) {
      const slash = w.name.indexOf("/");
      const key = w.name.slice(0, slash);
      if (!byKey.has(key)) byKey.set(key, {});
      byKey.get(key)![w.name.slice(slash + 1)] = w.tensor;
    }
    const known = new Map(this.plugins.map((p) => [p.key, p] as const));
    for (const key of byKey.keys()) {
      if (key === "core") continue;
      const p = known.get(key);
      if (!p || !p.instance.setState) {
        throw new Error(
          `saved optimizer state holds state of plugin "${key}", which this flatfit instance does not have ` +
            `(its plugins: ${this.plugins.map((q) => q.key).join(", ") || "none"}); create it with the config the model was trained with`,
        );
      }
    }
    const core = byKey.get("core");
    if (core?.step) this.engine.step = core.step.dataSync()[0];
    if (core?.random) this.random.state = core.random.dataSync()[0];
    for (const [key, state] of byKey) if (key !== "core") known.get(key)!.instance.setState!(state);
  }
}

/** A plugin's id names its saved state and its errors: it must be there, and be a plain name. */
const PLUGIN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
function pluginIdProblem(cls: PluginClass, from: string): string | undefined {
  const id = (cls as { id?: unknown }).id;
  if (typeof id === "string" && PLUGIN_ID.test(id)) return undefined;
  const what = id === undefined ? "has no static id" : `has static id ${JSON.stringify(id)}, which is not a plain name`;
  return (
    `the plugin class ${cls.name || "(anonymous)"} (from ${from}) ${what}: give it one, e.g. static id = "my-method" ` +
    `(letters, digits, ".", "_", "-"; it names the plugin's saved state and its errors)`
  );
}

/** Whether two models are one network: the same layer objects, in the same order (a Sequential's inner model before and after a compile). */
function sameLayers(a: tf.LayersModel, b: tf.LayersModel): boolean {
  return a.layers.length > 0 && a.layers.length === b.layers.length && a.layers.every((layer, i) => layer === b.layers[i]);
}

/** The name of the first layer with `stateful: true` (nested models included), if any. */
function statefulLayer(model: tf.LayersModel): string | undefined {
  for (const layer of model.layers) {
    if ((layer as unknown as { stateful?: boolean }).stateful === true) return layer.name;
    const inner = (layer as unknown as { layers?: unknown }).layers;
    if (Array.isArray(inner)) {
      const found = statefulLayer(layer as unknown as tf.LayersModel);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Creates a flatfit instance from a config object or a config file (.json, .yaml, .yml).
 * Rejects with a FlatfitConfigError naming every bad field (and its line, for files).
 */
export async function createFlatfit(config: FlatfitConfig | string = {}, opts: CreateOptions = {}): Promise<Flatfit> {
  let source: SourcedConfig | undefined;
  let raw: unknown = config;
  if (typeof config === "string") {
    source = readConfigFile(config);
    raw = source.value ?? {};
  }
  const baseDir = opts.cwd ?? source?.dir ?? host().cwd();
  const issues: ConfigIssue[] = [];
  const fail = (): never => {
    if (source) for (const i of issues) Object.assign(i, source.locate(i.path) ?? {});
    throw new FlatfitConfigError(issues, source?.file);
  };

  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    issues.push({ path: [], message: `expected an object like {plugins: [{use: "hero"}]}, got ${JSON.stringify(raw)}` });
    fail();
  }
  const parsed = coreConfigSchema.safeParse(raw);
  if (!parsed.success) {
    issues.push(...toIssues(parsed.error, [], raw));
    fail();
  }
  const core = parsed.data!;

  const specs: Array<{ cls: PluginClass; id: string; options: unknown; index: number }> = [];
  core.plugins.forEach((spec, i) => {
    const at: (string | number)[] = ["plugins", i];
    if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
      issues.push({ path: at, message: `plugins[${i}]: expected an object like {use: "hero", …options}, got ${JSON.stringify(spec)}` });
      return;
    }
    const { use, ...options } = spec as Record<string, unknown>;
    if (typeof use !== "string" && typeof use !== "function") {
      issues.push({ path: [...at, "use"], message: `plugins[${i}].use: expected a plugin name, package, path or class, got ${JSON.stringify(use)}` });
      return;
    }
    let resolved: ReturnType<typeof resolvePlugin>;
    try {
      resolved = resolvePlugin(use as string | PluginClass, baseDir);
    } catch (err) {
      if (!(err instanceof PluginResolveError)) throw err;
      issues.push({ path: [...at, "use"], message: `plugins[${i}].use: ${err.message}` });
      return;
    }
    const badId = pluginIdProblem(resolved.cls, resolved.from);
    if (badId) {
      issues.push({ path: [...at, "use"], message: `plugins[${i}].use: ${badId}` });
      return;
    }
    const incompatible = coreApiMismatch(resolved.cls, resolved.id);
    if (incompatible) {
      issues.push({ path: [...at, "use"], message: `plugins[${i}].use: ${incompatible}` });
      return;
    }
    const schema = resolved.cls.options;
    const label = `plugins[${i}] (${resolved.id})`;
    if (!schema) {
      specs.push({ cls: resolved.cls, id: resolved.id, options, index: i });
      return;
    }
    const result = schema.safeParse(options);
    if (result.success) specs.push({ cls: resolved.cls, id: resolved.id, options: result.data, index: i });
    else issues.push(...toIssues(result.error, at, options, label, schema));
  });
  if (issues.length > 0) fail();

  const logger = new Logger(core.logLevel, opts.logSink);
  const random = new RandomSource(core.seed);
  const hvp = new HessianVectorProduct();
  hvp.method = core.hvp.method;
  hvp.relativeStep = core.hvp.relativeStep;
  const backend = await selectBackend(core.backend, logger);

  watchOptimizerConfigs();
  const container = createContainer(core, { random, logger, hvp });
  const hooks = createHooks();
  const owner = new TapOwner();
  instrumentTaps(hooks, owner, random);
  const counts = new Map<string, number>();
  const plugins: LoadedPlugin[] = specs.map(({ cls, id, options, index }) => {
    const n = counts.get(id) ?? 0;
    counts.set(id, n + 1);
    const label = `plugins[${index}] (${id})`;
    const instance = constructPlugin(container, cls, options, label);
    return { id, key: `${id}#${n}`, instance, label };
  });
  for (const p of plugins) owner.during(p.label, () => p.instance.apply(hooks));
  if (core.seed === undefined) logger.debug(`seed: ${random.seed} (set "seed" in the config to repeat this run)`);
  return new Flatfit(core, backend, container, plugins, hooks);
}

// Models saved with flatfit state must find it when they are loaded, even before createFlatfit.
watchOptimizerConfigs();
