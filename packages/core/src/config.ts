/**
 * The flatfit config: validated with zod, every problem reported at once with the plugin, the
 * field and what is accepted. `configJsonSchema` gives the JSON Schema editors use.
 *
 *   { seed?: number, logLevel?: "info", backend?: "auto", hvp?: {method, relativeStep},
 *     plugins: [{ use: "hero", h: 0.5, gamma: 0.1 }, …] }
 */
import { z } from "zod";
import { BACKENDS, type BackendPreference } from "./backend";
import { formatPath, type ConfigIssue } from "./errors";
import { LOG_LEVELS, type LogLevel } from "./logger";
import type { PluginClass } from "./plugin";
import { BUILTIN_PLUGINS } from "./resolve";

export interface PluginSpec {
  /** A built-in id ("hero"), a package name, a path, or a plugin class. */
  use: string | PluginClass;
  [option: string]: unknown;
}

export interface FlatfitConfig {
  /** Seeds every random draw flatfit and its plugins make. */
  seed?: number;
  logLevel?: LogLevel;
  backend?: BackendPreference;
  /** Defaults for the finite-difference Hessian-vector product. */
  hvp?: { method?: "forward" | "central"; relativeStep?: number };
  plugins?: PluginSpec[];
}

export const coreConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  logLevel: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]]).default("info"),
  backend: z.enum(BACKENDS as [BackendPreference, ...BackendPreference[]]).default("auto"),
  hvp: z
    .strictObject({
      method: z.enum(["forward", "central"]).default("forward"),
      relativeStep: z.number().gt(0).max(0.1).default(1e-3),
    })
    .prefault({}),
  plugins: z.array(z.unknown()).default([]),
});

export type ResolvedCoreConfig = z.output<typeof coreConfigSchema>;

/** Turns zod issues into ConfigIssues with a readable message naming the field and what is accepted. */
export function toIssues(error: z.ZodError, root: (string | number)[], input: unknown, label?: string, schema?: z.ZodType): ConfigIssue[] {
  return error.issues.map((iss) => {
    const rel = iss.path.map((p) => (typeof p === "symbol" ? String(p) : p)) as (string | number)[];
    const full = [...root, ...rel];
    const subject = label ? `${label} ${rel.length ? `option "${formatPath(rel)}"` : "options"}` : formatPath(full);
    let message = iss.message;
    if (iss.code === "unrecognized_keys") {
      const keys = (iss as { keys: string[] }).keys;
      const accepted = acceptedKeys(schema);
      message = `unknown ${keys.length > 1 ? "options" : "option"} ${keys.map((k) => `"${k}"`).join(", ")}` + (accepted.length ? `; accepted: ${accepted.join(", ")}` : "");
      return { path: [...full, keys[0]], message: `${label ?? formatPath(full)}: ${message}` };
    }
    const got = valueAt(input, rel);
    if (got !== undefined && iss.code !== "invalid_type") message += ` (got ${JSON.stringify(got)})`;
    else if (iss.code === "invalid_type") message += got === undefined ? " (missing)" : ` (got ${JSON.stringify(got)})`;
    return { path: full, message: `${subject}: ${message}` };
  });
}

function acceptedKeys(schema?: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape).filter((k) => k !== "use") : [];
}

function valueAt(input: unknown, p: (string | number)[]): unknown {
  let cur: unknown = input;
  for (const k of p) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/**
 * JSON Schema (draft 2020-12) of the whole config, for editors: the core fields and, for each
 * plugin class given, its options; any other `use` is accepted with free-form options.
 */
export function configJsonSchema(plugins: Record<string, PluginClass> = {}): Record<string, unknown> {
  const variants: z.ZodType[] = Object.entries(plugins).map(([id, cls]) => {
    const opts = cls.options as unknown as z.ZodObject | undefined;
    const useField = z.literal(id).describe(`the ${id} plugin`);
    return opts && typeof opts.extend === "function" ? opts.extend({ use: useField }) : z.looseObject({ use: useField });
  });
  const known = new Set([...Object.keys(plugins), ...BUILTIN_PLUGINS]);
  variants.push(
    z.looseObject({
      use: z
        .string()
        .regex(new RegExp(`^(?!(?:${[...known].map((k) => k.replace(/[-]/g, "\\-")).join("|")})$).+`))
        .describe(`a third-party plugin: package name or path (built-ins: ${[...known].join(", ")})`),
    }),
  );
  const schema = coreConfigSchema.extend({
    plugins: z.array(variants.length === 1 ? variants[0] : z.union(variants as [z.ZodType, z.ZodType, ...z.ZodType[]])).default([]),
  });
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { title: "flatfit config", ...json };
}
