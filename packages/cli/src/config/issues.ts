/**
 * Config problems as core's `ConfigIssue`s: a path into the file, a message naming the field
 * and what is accepted, and (once located) the line and column. Zod issues are converted here;
 * plugin issues come from `createFlatfit` and are moved to where the plugin list sits in the
 * CLI's file (`plugins[i]`, `methods[k].plugins[i]`, a `grid` key).
 */
import { formatPath, type ConfigIssue, type SourcedConfig, type z } from "@flatfit/core";

export type Path = (string | number)[];

/** "methods[1].plugins[0].gamma" (core's notation) */
export { formatPath };

/** The value at `path` in `input`, or undefined. */
export function valueAt(input: unknown, path: Path): unknown {
  let cur: unknown = input;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

type Def = { innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType>; options?: z.ZodType[] };
const defOf = (s: z.ZodType | undefined): Def | undefined => (s as unknown as { _zod?: { def: Def } } | undefined)?._zod?.def;

/** Field names accepted by the object schema found at `path` inside `schema` (through defaults, arrays, pipes). */
export function acceptedKeys(schema: z.ZodType | undefined, path: Path): string[] {
  let cur = schema;
  const unwrap = () => {
    for (let d = defOf(cur); d && (d.innerType || d.in); d = defOf(cur)) cur = d.innerType ?? d.in;
  };
  for (const p of path) {
    unwrap();
    const d = defOf(cur);
    if (typeof p === "number") cur = d?.element;
    else cur = d?.shape?.[p];
  }
  unwrap();
  const shape = defOf(cur)?.shape;
  return shape ? Object.keys(shape).filter((k) => k !== "$schema") : [];
}

/** Zod issues of `input` (found at `root` in the file) as ConfigIssues. */
export function zodIssues(error: z.ZodError, input: unknown, schema: z.ZodType, root: Path = []): ConfigIssue[] {
  return error.issues.map((iss) => {
    const rel = iss.path.map((p) => (typeof p === "symbol" ? String(p) : p)) as Path;
    const full = [...root, ...rel];
    if (iss.code === "unrecognized_keys") {
      const keys = (iss as { keys: string[] }).keys;
      const accepted = acceptedKeys(schema, rel);
      const what = `unknown field${keys.length > 1 ? "s" : ""} ${keys.map((k) => `"${k}"`).join(", ")}`;
      const where = full.length ? `${formatPath(full)}: ` : "";
      return { path: [...full, keys[0]], message: `${where}${what}${accepted.length ? `; accepted: ${accepted.join(", ")}` : ""}` };
    }
    const got = valueAt(input, rel);
    let message = iss.message;
    if (got === undefined && iss.code === "invalid_type") message += " (missing)";
    else if (got !== undefined && iss.code !== "custom") message += ` (got ${JSON.stringify(got)})`;
    return { path: full, message: `${formatPath(full)}: ${message}` };
  });
}

/**
 * Moves an issue of a plugin list validated on its own (`plugins[i]…`) to where that plugin is
 * in the file: `at(i)` gives the file path of plugin i (e.g. ["methods", 2, "plugins", 0]).
 */
export function movePluginIssue(issue: ConfigIssue, at: (index: number) => Path): ConfigIssue {
  const [head, index, ...rest] = issue.path;
  if (head !== "plugins" || typeof index !== "number") return issue;
  const target = at(index);
  const from = `plugins[${index}]`;
  const to = formatPath(target);
  const message = issue.message.startsWith(from) ? to + issue.message.slice(from.length) : `${to}: ${issue.message}`;
  return { path: [...target, ...rest], message };
}

/** Adds line and column (where the file has the field) to each issue. */
export function locateAll(issues: ConfigIssue[], source: SourcedConfig): ConfigIssue[] {
  return issues.map((i) => (i.line !== undefined ? i : { ...i, ...(source.locate(i.path) ?? {}) }));
}
