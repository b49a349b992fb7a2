/**
 * The config a run records (config.resolved.json) and runs with: every default filled in and every
 * path absolute, so that `flatfit train --config <run>/config.resolved.json` runs the same training
 * from any working directory.
 *   - plugins: a `use` given as a path ("./x", "../x", "/abs/x") becomes absolute (resolved against
 *     the config file's folder, as core resolves it); built-in ids and package names stay as
 *     written. Options get the plugin's defaults from its own options schema, exactly as core
 *     validates them (`resolvePlugin` + the class's `static options`).
 *   - model.path, model.module and data.csv become absolute.
 *   - name: the config file's name when the config has none (it names the default output folder).
 */
import * as path from "node:path";
import { resolvePlugin } from "@flatfit/core";
import type { DataSpec, ModelSpec, PluginSpec, TrainConfig } from "./schema";

/** Whether core loads `use` by path rather than by name (the same test as core's resolver). */
export function isPluginPath(use: string): boolean {
  return use.startsWith("./") || use.startsWith("../") || use === "." || /^([A-Za-z]:)?[\\/]/.test(use);
}

/** One plugin spec with an absolute path (when it is one) and its defaults filled in by its schema. */
export function resolvePluginSpec(spec: PluginSpec, baseDir: string): PluginSpec {
  const { use, ...options } = spec;
  const absolute = typeof use === "string" && isPluginPath(use) ? path.resolve(baseDir, use) : use;
  const { cls } = resolvePlugin(absolute, baseDir);
  const filled = cls.options ? (cls.options.parse(options) as Record<string, unknown>) : options;
  return { use: absolute, ...filled };
}

function resolveModel(spec: ModelSpec, baseDir: string): ModelSpec {
  if ("path" in spec) return { ...spec, path: path.resolve(baseDir, spec.path) };
  if ("module" in spec) return { ...spec, module: path.resolve(baseDir, spec.module) };
  return spec;
}

function resolveData(spec: DataSpec, baseDir: string): DataSpec {
  return "csv" in spec ? { ...spec, csv: path.resolve(baseDir, spec.csv) } : spec;
}

const NAME = /^[\w.-]+$/;

/** The order fields are written in (as the README's table lists them); others follow. */
const ORDER = ["name", "model", "data", "optimizer", "plugins", "epochs", "batchSize", "validationSplit", "trainLoss", "seed", "evaluate", "curvature", "landscape", "backend", "logLevel"];

/**
 * `config` (loaded and validated from a file in `baseDir`) as the run records it. `file`, when
 * given, names the run when the config has no `name`. Idempotent: resolving a resolved config
 * gives it back unchanged.
 */
export function resolveRunConfig(config: TrainConfig, baseDir: string, file?: string): TrainConfig {
  const fileName = file === undefined ? undefined : path.basename(file).replace(/\.(ya?ml|json)$/i, "");
  const name = config.name ?? (fileName !== undefined && NAME.test(fileName) ? fileName : undefined);
  const resolved: Record<string, unknown> = {
    ...config,
    name,
    model: resolveModel(config.model, baseDir),
    data: resolveData(config.data, baseDir),
    plugins: config.plugins.map((p) => resolvePluginSpec(p, baseDir)),
  };
  const keys = [...ORDER, ...Object.keys(resolved).filter((k) => !ORDER.includes(k))];
  return Object.fromEntries(keys.filter((k) => resolved[k] !== undefined).map((k) => [k, resolved[k]])) as unknown as TrainConfig;
}

type Json = unknown;

const show = (v: Json): string => (v === undefined ? "(absent)" : JSON.stringify(v));

/**
 * Where two configs differ, field by field (fields in `ignore` left out), for messages that say
 * what does not match. Entries of another kind (a plugin with another `use`, a model or data set
 * of another shape) differ as a whole.
 */
export function configDifferences(a: Json, b: Json, ignore: string[] = [], at = ""): Array<{ field: string; a: string; b: string }> {
  const isObj = (v: Json): v is Record<string, Json> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [{ field: at || "(root)", a: show(a), b: show(b) }];
    return a.flatMap((v, i) => configDifferences(v, b[i], ignore, `${at}[${i}]`));
  }
  if (isObj(a) && isObj(b)) {
    // another plugin (or model or data kind) in the same place: one line for the whole entry
    const kind = at === "" ? undefined : ["use", "name", "csv", "path", "module"].find((k) => k in a || k in b);
    if (kind && JSON.stringify(a[kind]) !== JSON.stringify(b[kind])) return [{ field: at || "(root)", a: show(a), b: show(b) }];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => {
      const field = at ? `${at}.${k}` : k;
      return ignore.includes(field) ? [] : configDifferences(a[k], b[k], ignore, field);
    });
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ field: at || "(root)", a: show(a), b: show(b) }];
}
