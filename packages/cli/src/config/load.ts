/**
 * Loading the CLI's config files (JSON or YAML): read with core's reader (syntax errors with
 * lines), validate the CLI fields with zod, then each plugin list with `createFlatfit` itself,
 * and throw one FlatfitConfigError listing every problem with file, line and field.
 */
import { createFlatfit, FlatfitConfigError, readConfigFile, type ConfigIssue, type SourcedConfig, type z } from "@flatfit/core";
import { gridTrials, type Trial } from "../sweep/grid";
import { evaluateBlockFor, quantizationSetups, variantName } from "./evaluate";
import { formatPath, locateAll, movePluginIssue, zodIssues, type Path } from "./issues";
import {
  compareSchema,
  curvatureSchema,
  landscapeSchema,
  sweepSchema,
  trainSchema,
  type CompareConfig,
  type PluginSpec,
  type SweepConfig,
  type TrainConfig,
} from "./schema";
import { pickData, pickModel } from "./variants";

export interface Loaded<T> {
  config: T;
  /** The config file as given, and its folder (relative paths in the config resolve from it). */
  file: string;
  dir: string;
}

class Problems {
  readonly issues: ConfigIssue[] = [];
  constructor(readonly source: SourcedConfig) {}
  add(list: ConfigIssue[]): void {
    for (const i of list) if (!this.issues.some((j) => j.message === i.message && String(j.path) === String(i.path))) this.issues.push(i);
  }
  throwIfAny(): void {
    if (!this.issues.length) return;
    const located = locateAll(this.issues, this.source).sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
    throw new FlatfitConfigError(located, this.source.file);
  }
}

function readObject(file: string): { source: SourcedConfig; raw: Record<string, unknown>; problems: Problems } {
  const source = readConfigFile(file);
  const problems = new Problems(source);
  const raw = source.value;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    problems.add([{ path: [], message: `expected a config object with fields like model, data, epochs (got ${JSON.stringify(raw ?? null)})` }]);
    problems.throwIfAny();
  }
  return { source, raw: raw as Record<string, unknown>, problems };
}

function parse<S extends z.ZodType>(schema: S, raw: unknown, problems: Problems): z.output<S> | undefined {
  const r = schema.safeParse(raw);
  if (!r.success) problems.add(zodIssues(r.error, raw, schema));
  return r.success ? r.data : undefined;
}

type TrainFieldsOut = z.output<typeof trainSchema>;

/** The train fields of a parsed config as a TrainConfig (model and data picked by shape). */
function toTrain(parsed: TrainFieldsOut | undefined, raw: Record<string, unknown>, problems: Problems, blocksOn = false): TrainConfig | undefined {
  const model = pickModel(raw.model);
  const data = pickData(raw.data);
  problems.add([...model.issues, ...data.issues]);
  if (!parsed || !model.value || !data.value) return undefined;
  const { $schema: _s, model: _m, data: _d, curvature, landscape, ...rest } = parsed;
  const on = <T>(v: T | null | undefined, defaults: T): T | undefined => (v === undefined ? (blocksOn ? defaults : undefined) : (v ?? undefined));
  return {
    ...rest,
    model: model.value,
    data: data.value,
    plugins: rest.plugins as PluginSpec[],
    curvature: on(curvature, curvatureSchema.parse({})),
    landscape: on(landscape, landscapeSchema.parse({})),
  };
}

const QUANTIZE_ID = "quantize-on-eval";

/** A quantize-on-eval entry of a plugin list: a config error that shows the evaluate block doing the same (the CLI's one evaluation path). */
function quantizeInPlugins(spec: PluginSpec | undefined, where: Path): ConfigIssue {
  const written = spec && typeof spec === "object" ? spec : { use: QUANTIZE_ID };
  return {
    path: where,
    message:
      `${formatPath(where)} (${QUANTIZE_ID}): in a CLI config quantization is set in "evaluate", not as a plugin; ` +
      `write ${evaluateBlockFor(written)} instead (perEpoch: true gives the val_acc@<bits>bit epoch logs; evaluate also takes setups: [...] to compare several)`,
  };
}

/** Validates a plugin list with core (as it will run) and reports issues where each plugin is in the file. */
export async function checkPlugins(plugins: PluginSpec[], at: (index: number) => Path, dir: string, backend: TrainConfig["backend"]): Promise<ConfigIssue[]> {
  try {
    const ff = await createFlatfit({ plugins, backend, logLevel: "silent" }, { cwd: dir, logSink: () => {} });
    const ids = ff.pluginIds;
    ff.dispose();
    return ids.flatMap((id, i) => (id === QUANTIZE_ID ? [quantizeInPlugins(plugins[i], at(i))] : []));
  } catch (err) {
    if (!(err instanceof FlatfitConfigError)) throw err;
    const named = plugins.flatMap((p, i) => (p && typeof p === "object" && (p.use === QUANTIZE_ID || p.use === "@flatfit/plugin-quantize-on-eval") ? [quantizeInPlugins(p, at(i))] : []));
    return [...err.issues.map((i) => movePluginIssue(i, at)), ...named];
  }
}

/** A plugin list as written (checked by core even when other fields have problems), or [] when it is not a list. */
const listAt = (v: unknown): PluginSpec[] => (Array.isArray(v) ? (v as PluginSpec[]) : []);
const backendOf = (raw: Record<string, unknown>): TrainConfig["backend"] => {
  const b = raw.backend;
  return typeof b === "string" && ["auto", "cpu", "tensorflow", "wasm", "webgl"].includes(b) ? (b as TrainConfig["backend"]) : "auto";
};

export async function loadTrainConfig(file: string): Promise<Loaded<TrainConfig>> {
  const { source, raw, problems } = readObject(file);
  const config = toTrain(parse(trainSchema, raw, problems), raw, problems);
  problems.add(await checkPlugins(listAt(raw.plugins), (i) => ["plugins", i], source.dir, backendOf(raw)));
  problems.throwIfAny();
  return { config: config!, file: source.file, dir: source.dir };
}

export async function loadCompareConfig(file: string): Promise<Loaded<CompareConfig>> {
  const { source, raw, problems } = readObject(file);
  const parsed = parse(compareSchema, raw, problems);
  const base = toTrain(parsed, raw, problems, true);
  const basePlugins = listAt(raw.plugins);
  const methods = Array.isArray(raw.methods) ? raw.methods : [];
  for (const [k, m] of methods.entries()) {
    const own = listAt((m as { plugins?: unknown } | null)?.plugins);
    const at = (i: number): Path => (i < own.length ? ["methods", k, "plugins", i] : ["plugins", i - own.length]);
    problems.add(await checkPlugins([...own, ...basePlugins], at, source.dir, backendOf(raw)));
  }
  problems.throwIfAny();
  const c = parsed!;
  const config: CompareConfig = {
    name: c.name,
    title: c.title,
    base: base!,
    methods: c.methods.map((m) => ({ name: m.name, plugins: m.plugins as PluginSpec[], optimizer: m.optimizer, ...(m.batchSize !== undefined ? { batchSize: m.batchSize } : {}), ...(m.epochs !== undefined ? { epochs: m.epochs } : {}) })),
    baseline: c.baseline ?? c.methods[0].name,
    seeds: c.seeds ?? [base!.seed],
    workers: c.workers ?? 1,
  };
  return { config, file: source.file, dir: source.dir };
}

/** A sweep metric of an evaluation row ("acc@4bit") must name a variant that every trial evaluates. */
function metricVariantIssues(metric: string, trials: Trial[]): ConfigIssue[] {
  const at = metric.indexOf("@");
  if (at <= 0) return [];
  const name = metric.slice(0, at);
  const variant = metric.slice(at + 1);
  const variantsOf = (t: Trial) => ["float32", ...quantizationSetups(t.config.evaluate).flatMap((q) => q.options.bits.map((b) => variantName(q, b)))];
  const lacking = trials.filter((t) => !variantsOf(t).includes(variant));
  if (lacking.length === 0) return [];
  const t = lacking[0];
  const where = lacking.length < trials.length ? ` in the trial ${Object.entries(t.assignment).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ")}` : "";
  return [{ path: ["metric"], message: `metric: ranks by the ${variant} evaluation, which the runs do not make${where}; accepted: ${variantsOf(t).map((v) => `${name}@${v}`).join(", ")} (list the bit-width in evaluate.bits)` }];
}

export async function loadSweepConfig(file: string): Promise<Loaded<SweepConfig & { trials: Trial[] }>> {
  const { source, raw, problems } = readObject(file);
  const parsed = parse(sweepSchema, raw, problems);
  const base = toTrain(parsed, raw, problems);
  problems.throwIfAny();
  const { grid, metric, order, workers } = parsed!;
  const { trials, issues } = gridTrials(raw, grid, (trialRaw) => {
    const p = new Problems(source);
    return { config: toTrain(parse(trainSchema, trialRaw, p), trialRaw, p), issues: p.issues };
  });
  problems.add(issues);
  problems.throwIfAny();
  const checked = new Set<string>();
  for (const t of trials) {
    const key = JSON.stringify(t.config.plugins);
    if (checked.has(key)) continue;
    checked.add(key);
    const found = await checkPlugins(t.config.plugins, (i) => ["plugins", i], source.dir, t.config.backend);
    problems.add(found.map((i) => t.blame(i)));
  }
  problems.add(metricVariantIssues(metric, trials));
  problems.throwIfAny();
  return { config: { name: parsed!.name, base: base!, grid, metric, order, workers, trials }, file: source.file, dir: source.dir };
}
