/**
 * The sweep grid: keys are paths into the config ("plugins[0].gamma", "optimizer.learningRate",
 * "data.labelNoise"), values are lists; the trials are the Cartesian product (last key varies
 * fastest). A trial's id is a hash of its resolved config, so it stays the same across reruns
 * and finished trials are found again.
 */
import { createHash } from "node:crypto";
import type { ConfigIssue } from "@flatfit/core";
import { formatPath, valueAt, type Path } from "../config/issues";
import { trainFields, type TrainConfig } from "../config/schema";

export interface Trial {
  /** Stable: a hash of the resolved config. */
  id: string;
  /** The grid values of this trial, by grid key. */
  assignment: Record<string, unknown>;
  config: TrainConfig;
  /** Moves an issue of this trial's config to the grid key that caused it. */
  blame(issue: ConfigIssue): ConfigIssue;
}

const SETTABLE = new Set(Object.keys(trainFields).filter((k) => k !== "$schema" && k !== "name"));
const NOT_TRIAL = ["grid", "metric", "order", "workers"];

/** "plugins[0].gamma" → ["plugins", 0, "gamma"]; undefined when it is not such a path. */
export function parseGridPath(key: string): Path | undefined {
  if (!/^[A-Za-z_$][\w$]*(\[\d+\]|\.[A-Za-z_$][\w$]*)*$/.test(key)) return undefined;
  const out: Path = [];
  for (const m of key.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]/g)) out.push(m[1] !== undefined ? m[1] : Number(m[2]));
  return out;
}

/** A copy of `obj` with `value` at `path` (objects and arrays on the way are copied). */
export function setAt<T>(obj: T, path: Path, value: unknown): T {
  if (path.length === 0) return value as T;
  const [head, ...rest] = path;
  const copy = (Array.isArray(obj) ? [...obj] : { ...(obj as object) }) as Record<string | number, unknown>;
  copy[head] = setAt(copy[head], rest, value);
  return copy as T;
}

/** Keys sorted at every level, undefined left out: the same config always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The id of a trial: 12 hex digits of the SHA-256 of its config (name and log level left out). */
export function trialId(config: TrainConfig): string {
  const { name: _n, logLevel: _l, ...rest } = config;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex").slice(0, 12);
}

/** All combinations of the grid's values, keys in grid order, the last key varying fastest. */
export function expandGrid(grid: Record<string, unknown[]>): Array<Record<string, unknown>> {
  let out: Array<Record<string, unknown>> = [{}];
  for (const [key, values] of Object.entries(grid)) out = out.flatMap((a) => values.map((v) => ({ ...a, [key]: v })));
  return out;
}

const startsWith = (p: Path, prefix: Path) => prefix.length <= p.length && prefix.every((k, i) => String(p[i]) === String(k));

/**
 * The trials of a sweep config `raw` (its file contents) over `grid`. `resolve` validates one
 * trial's raw config; its issues are blamed on the grid key that set the offending field.
 */
export function gridTrials(
  raw: Record<string, unknown>,
  grid: Record<string, unknown[]>,
  resolve: (trialRaw: Record<string, unknown>) => { config?: TrainConfig; issues: ConfigIssue[] },
): { trials: Trial[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const paths = new Map<string, Path>();
  for (const key of Object.keys(grid)) {
    const at: Path = ["grid", key];
    const p = parseGridPath(key);
    if (!p) issues.push({ path: at, message: `grid: "${key}" is not a config path; write fields with dots and list positions in brackets, e.g. "plugins[0].gamma"` });
    else if (!SETTABLE.has(String(p[0]))) issues.push({ path: at, message: `grid: "${key}" does not start with a field of a run (${[...SETTABLE].join(", ")})` });
    else {
      // Objects on the way are created (optimizer.learningRate without an optimizer field); list entries must exist.
      const missing = p.findIndex((k, i) => typeof k === "number" && valueAt(raw, p.slice(0, i + 1)) === undefined);
      if (missing >= 0) issues.push({ path: at, message: `grid: "${key}": the config has no ${formatPath(p.slice(0, missing + 1))} to set "${formatPath(p.slice(missing + 1))}" in` });
      else paths.set(key, p);
    }
  }
  if (issues.length) return { trials: [], issues };

  const baseRaw = Object.fromEntries(Object.entries(raw).filter(([k]) => !NOT_TRIAL.includes(k)));
  const trials: Trial[] = [];
  const seen = new Set<string>();
  for (const assignment of expandGrid(grid)) {
    let trialRaw = baseRaw;
    for (const [key, value] of Object.entries(assignment)) trialRaw = setAt(trialRaw, paths.get(key)!, value);
    const blame = (issue: ConfigIssue): ConfigIssue => {
      const key = [...paths.keys()].find((k) => startsWith(issue.path, paths.get(k)!));
      return key === undefined ? issue : { path: ["grid", key], message: `grid "${key}" = ${JSON.stringify(assignment[key])}: ${issue.message}` };
    };
    const { config, issues: found } = resolve(trialRaw);
    issues.push(...found.map(blame));
    if (!config) continue;
    const id = trialId(config);
    if (seen.has(id)) continue;
    seen.add(id);
    trials.push({ id, assignment, config, blame });
  }
  return { trials, issues };
}
