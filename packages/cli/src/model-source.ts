/**
 * Where a run's model comes from: the built-in zoo, a saved tfjs model folder, or the user's own
 * module exporting a factory `(inputShape, classes, {seed, ...options}) => tf.LayersModel`.
 * The model must take examples of the data's shape and output one probability per class.
 */
import * as path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import type { ModelSpec } from "./config/schema";
import { loadModelDir } from "./model-io";
import { buildZooModel, describeZoo } from "./zoo";

export type ModelFactory = (inputShape: number[], classes: number, options: { seed: number; [option: string]: unknown }) => tf.LayersModel | Promise<tf.LayersModel>;

function isLayersModel(m: unknown): m is tf.LayersModel {
  const o = m as tf.LayersModel | null;
  return !!o && typeof o.fit === "function" && typeof o.compile === "function" && Array.isArray(o.inputs);
}

/** Throws when `model` does not take examples of `inputShape` or does not output `classes` values; `what` names the model. */
export function checkShapes(model: tf.LayersModel, inputShape: number[], classes: number, what: string): void {
  const input = model.inputs[0].shape.slice(1);
  const fits = input.length === inputShape.length && input.every((d, i) => d === null || d === inputShape[i]);
  if (!fits) {
    const hint = input.reduce<number>((a, b) => a * (b ?? 1), 1) === inputShape.reduce((a, b) => a * b, 1) ? ' (same size: try data.layout "flat" or "image")' : "";
    throw new Error(`${what} takes examples of shape [${input.map((d) => d ?? "?")}], but the data's examples are [${inputShape}]${hint}`);
  }
  const out = model.outputs[0].shape;
  if (out[out.length - 1] !== classes) throw new Error(`${what} outputs ${out[out.length - 1]} values per example, but the data has ${classes} classes`);
}

/** Builds or loads the model of `spec` for the data (paths relative to `baseDir`). */
export async function createModel(spec: ModelSpec, inputShape: number[], classes: number, seed: number, baseDir: string): Promise<tf.LayersModel> {
  if ("name" in spec) return buildZooModel(spec, inputShape, classes, seed);
  if ("path" in spec) {
    const model = await loadModelDir(path.resolve(baseDir, spec.path));
    checkShapes(model, inputShape, classes, `the saved model at ${spec.path}`);
    return model;
  }
  const file = path.resolve(baseDir, spec.module);
  let mod: Record<string, unknown>;
  try {
    mod = require(file);
  } catch (err) {
    throw new Error(`model.module: cannot load ${file}: ${(err as Error).message}`);
  }
  const factory = (mod[spec.export] ?? (spec.export === "default" && typeof mod === "function" ? mod : undefined)) as ModelFactory | undefined;
  if (typeof factory !== "function") {
    throw new Error(`model.module: ${file} has no function export "${spec.export}" (exports: ${Object.keys(mod).join(", ") || "none"}); export a factory (inputShape, classes, options) => tf.LayersModel`);
  }
  const model = await factory(inputShape, classes, { ...spec.options, seed });
  if (!isLayersModel(model)) throw new Error(`model.module: the factory in ${file} did not return a tf.LayersModel`);
  checkShapes(model, inputShape, classes, `the model from ${spec.module}`);
  return model;
}

/** One line describing the model spec, for reports. */
export function describeModel(spec: ModelSpec): string {
  if ("name" in spec) return describeZoo(spec);
  if ("path" in spec) return `saved tfjs model ${spec.path}`;
  return `factory ${spec.export} of ${spec.module}`;
}
