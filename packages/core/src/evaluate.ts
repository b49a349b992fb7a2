/**
 * Evaluation with variants: the float model first, then whatever `eval` taps add (e.g. the
 * model quantized at 8 and 4 bits). One row per variant.
 */
import * as tf from "@tensorflow/tfjs";
import type { EvalContext, EvalRow } from "./context";
import type { FlatfitHooks } from "./hooks";
import type { Logger } from "./logger";

/** `model.evaluate` with the compiled loss and metrics, as numbers keyed by metric name. */
export async function evaluateModel(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor | tf.Tensor[],
  batchSize = 256,
): Promise<{ loss: number; metrics: Record<string, number> }> {
  const out = model.evaluate(x, y, { batchSize, verbose: 0 });
  const scalars = Array.isArray(out) ? out : [out];
  try {
    const values = await Promise.all(scalars.map((s) => s.data()));
    const names = model.metricsNames;
    const metrics: Record<string, number> = {};
    for (let i = 1; i < values.length; i++) metrics[names[i] ?? `metric${i}`] = values[i][0];
    return { loss: values[0][0], metrics };
  } finally {
    tf.dispose(scalars);
  }
}

export async function evaluateVariants(
  hooks: FlatfitHooks,
  logger: Logger,
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor | tf.Tensor[],
  batchSize = 256,
): Promise<EvalRow[]> {
  if (!model || typeof (model as tf.LayersModel).evaluate !== "function") {
    throw new TypeError("evaluate(model, x, y): expected a compiled tf.LayersModel as model");
  }
  const rows: EvalRow[] = [{ variant: "float32", ...(await evaluateModel(model, x, y, batchSize)) }];
  const ctx: EvalContext = {
    model,
    x,
    y,
    batchSize,
    rows,
    logger,
    evaluate: () => evaluateModel(model, x, y, batchSize),
  };
  await hooks.eval.promise(ctx);
  return rows;
}

/** Epoch-log key of a variant's metric: ("acc", "4bit") → "val_acc@4bit". */
export function variantLogKey(metric: string, variant: string): string {
  return `val_${metric}@${variant}`;
}
