/**
 * `model` and `data` take one of several shapes; the shape is chosen by its keys, then validated
 * with that shape's schema, so that errors name the field of the shape the user meant:
 *   model: mlp | cnn | {name: mlp|cnn, …} | {path: ./saved-model} | {module: ./factory.js}
 *   data:  mnist | {name: mnist, …} | {csv: ./table.csv, label: …}
 */
import type { ConfigIssue, z } from "@flatfit/core";
import { formatPath, zodIssues, type Path } from "./issues";
import { cnnSchema, csvSchema, mlpSchema, mnistSchema, moduleModelSchema, savedModelSchema, type DataSpec, type ModelSpec } from "./schema";

type Picked<T> = { value?: T; issues: ConfigIssue[] };

function parseWith<T>(schema: z.ZodType, raw: unknown, root: Path): Picked<T> {
  const r = schema.safeParse(raw);
  return r.success ? { value: r.data as T, issues: [] } : { issues: zodIssues(r.error, raw, schema, root) };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

const MODEL_HELP = 'expected a built-in model ("mlp", "cnn", or {name: cnn, filters: [8, 16]}), a saved tfjs model {path: ./model-dir} or a factory module {module: ./model.js}';
const DATA_HELP = 'expected "mnist", {name: mnist, limit: 1000, labelNoise: 0.4} or {csv: ./table.csv, label: column}';

export function pickModel(raw: unknown, root: Path = ["model"]): Picked<ModelSpec> {
  const where = formatPath(root);
  if (raw === undefined) return { issues: [{ path: root, message: `${where}: required — ${MODEL_HELP}` }] };
  const spec = typeof raw === "string" ? { name: raw } : raw;
  if (!isObject(spec)) return { issues: [{ path: root, message: `${where}: ${MODEL_HELP} (got ${JSON.stringify(raw)})` }] };
  if ("path" in spec) return parseWith(savedModelSchema, spec, root);
  if ("module" in spec) return parseWith(moduleModelSchema, spec, root);
  if (spec.name === "mlp") return parseWith(mlpSchema, spec, root);
  if (spec.name === "cnn") return parseWith(cnnSchema, spec, root);
  const named = typeof raw !== "string" && "name" in spec;
  const got = named ? spec.name : raw;
  return { issues: [{ path: named ? [...root, "name"] : root, message: `${where}: unknown model ${JSON.stringify(got)}; ${MODEL_HELP}` }] };
}

export function pickData(raw: unknown, root: Path = ["data"]): Picked<DataSpec> {
  const where = formatPath(root);
  if (raw === undefined) return { issues: [{ path: root, message: `${where}: required — ${DATA_HELP}` }] };
  const spec = typeof raw === "string" ? { name: raw } : raw;
  if (!isObject(spec)) return { issues: [{ path: root, message: `${where}: ${DATA_HELP} (got ${JSON.stringify(raw)})` }] };
  if ("csv" in spec) return parseWith(csvSchema, spec, root);
  if (spec.name === "mnist") return parseWith(mnistSchema, spec, root);
  const named = typeof raw !== "string" && "name" in spec;
  const got = named ? spec.name : raw;
  return { issues: [{ path: named ? [...root, "name"] : root, message: `${where}: unknown data set ${JSON.stringify(got)}; ${DATA_HELP}` }] };
}
