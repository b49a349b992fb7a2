/**
 * Evaluation with variants: the float model first, then whatever `eval` taps add (e.g. the
 * model quantized at 8 and 4 bits). One row per variant.
 */
import * as tf from "@tensorflow/tfjs";
import type { EvalContext, EvalRow } from "./context";
import type { FlatfitHooks } from "./hooks";
import type { Logger } from "./logger";

/**
 * `model.evaluate` with the compiled loss and metrics, as numbers keyed by tfjs's own names
 * (`model.metricsNames`: "acc"; with several outputs "out1_loss", "out1_acc", …).
 *
 * tfjs 4.22's `evaluate` does not return one value per name for a model of K > 1 outputs: it
 * returns the running sum of the output losses after each output (K values, the last being the
 * total loss), then the values `metricsNames` names after "loss" (the K per-output losses, then
 * the metrics). So the total loss is the K-th value, and the named values are the last ones.
 */
export async function evaluateModel(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor | tf.Tensor[],
  batchSize = 256,
): Promise<{ loss: number; metrics: Record<string, number> }> {
  const out = model.evaluate(x, y, { batchSize, verbose: 0 });
  const scalars = Array.isArray(out) ? out : [out];
  try {
    const values = (await Promise.all(scalars.map((s) => s.data()))).map((v) => v[0]);
    return nameEvaluation(model.metricsNames ?? ["loss"], values);
  } finally {
    tf.dispose(scalars);
  }
}

/** The values `model.evaluate` returned, by name (see `evaluateModel`); `names[0]` is "loss". */
export function nameEvaluation(names: readonly string[], values: readonly number[]): { loss: number; metrics: Record<string, number> } {
  // values beyond one per name are the running sums of the output losses that precede the total
  const extra = Math.max(0, values.length - names.length);
  const metrics: Record<string, number> = {};
  for (let i = 1; i < values.length - extra; i++) metrics[names[i] ?? `metric${i}`] = values[i + extra];
  return { loss: values[extra], metrics };
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
