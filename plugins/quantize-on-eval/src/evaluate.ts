/**
 * Evaluating a model at one bit-width: fold BatchNorm (optional), quantize the target weights,
 * run the evaluation, and put the float weights back bit-exactly (also when it throws).
 */
import * as tf from "@tensorflow/tfjs";
import { evaluateModel, type EvalRow } from "@flatfit/core";
import { applyFold, findFoldablePairs } from "./fold";
import { checkConverterBits, converterDequantize, converterQuantize } from "./converter";
import { presetConflicts, type Granularity, type Preset, type Scheme, type Targets } from "./options";
import { quantizeTensor } from "./quantizer";
import { modelWeights, selectTargets, withSwappedWeights, WeightSwap } from "./weights";

export interface QuantizeSpec {
  bits: number;
  scheme?: Scheme;
  granularity?: Granularity;
  /** Default "kernels". */
  targets?: Targets;
  /** Fold BatchNorm into the preceding Dense/Conv layer first (default false). */
  foldBatchNorm?: boolean;
  /**
   * "tfjs-converter": quantize as tfjs's converter does, in place of scheme, granularity and
   * targets (bits 8 or 16): the weights equal what `tf.loadLayersModel` reads from a file that
   * `saveQuantized` or tensorflowjs_converter --quantize_uint8/16 wrote.
   */
  preset?: Preset;
}

/** Throws on a spec whose preset is combined with bits other than 8/16 or with quantizer options of its own. */
function checkSpec(spec: QuantizeSpec): void {
  const conflicts = presetConflicts(spec);
  if (conflicts.length) throw new RangeError(conflicts.map((c) => `quantize: "${c.path.join(".")}": ${c.message} (got ${JSON.stringify(spec[c.path[0] as keyof QuantizeSpec])})`).join("; "));
}

/**
 * The preset "tfjs-converter": every float32 weight (moving statistics too) replaced by
 * float32(code·scale + min) with the converter's codes, min and scale — the values
 * `tf.loadLayersModel` gives for the converter-quantized file.
 */
function applyConverterPreset(model: tf.LayersModel, bits: number, swap: WeightSwap): string[] {
  checkConverterBits(bits, "bits");
  const weights = modelWeights(model).filter((w) => w.variable.dtype === "float32");
  for (const w of weights) {
    const values = converterDequantize(converterQuantize(w.variable.dataSync() as Float32Array, bits));
    swap.write(w.variable, tf.tensor(values, w.variable.shape, "float32"));
  }
  return weights.map((w) => w.name);
}

/** Writes the quantized model (folded first if asked) through `swap`; returns the names of the quantized weights. */
export function applyQuantization(model: tf.LayersModel, spec: QuantizeSpec, swap: WeightSwap): string[] {
  checkSpec(spec);
  if (spec.preset === "tfjs-converter") return applyConverterPreset(model, spec.bits, swap);
  if (spec.foldBatchNorm) applyFold(findFoldablePairs(model).pairs, swap);
  const targets = selectTargets(model, spec.targets ?? "kernels");
  for (const w of targets) {
    swap.write(w.variable, quantizeTensor(w.variable, { ...spec, channelAxes: w.channelAxes }));
  }
  return targets.map((w) => w.name);
}

/** Runs `fn` while the model holds its quantized weights; the float weights come back bit-exactly. */
export function withQuantizedWeights<T>(model: tf.LayersModel, spec: QuantizeSpec, fn: () => Promise<T> | T): Promise<T> {
  return withSwappedWeights((swap) => applyQuantization(model, spec, swap), fn);
}

/** Runs `fn` while BatchNorm layers are folded into their Dense/Conv layers (float; restored afterwards). */
export function withFoldedBatchNorm<T>(model: tf.LayersModel, fn: () => Promise<T> | T): Promise<T> {
  return withSwappedWeights((swap) => applyFold(findFoldablePairs(model).pairs, swap), fn);
}

/**
 * Folds BatchNorm into the model's weights in place and returns a handle whose `restore()` puts
 * the original weights back bit-exactly. Prefer `withFoldedBatchNorm` where a callback fits.
 */
export function foldBatchNorm(model: tf.LayersModel): { folded: string[]; skipped: string[]; restore(): void } {
  const { pairs, skipped } = findFoldablePairs(model);
  const swap = new WeightSwap();
  try {
    applyFold(pairs, swap);
  } catch (err) {
    swap.restore();
    throw err;
  }
  return { folded: pairs.map((p) => `${p.layer.name} ← ${p.batchNorm.name}`), skipped, restore: () => swap.restore() };
}

/** One evaluation row of the model quantized to `spec.bits` bits: `{variant: "4bit", bits: 4, loss, metrics}`. */
export async function evaluateQuantized(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor | tf.Tensor[],
  spec: QuantizeSpec & { batchSize?: number },
): Promise<EvalRow> {
  const r = await withQuantizedWeights(model, spec, () => evaluateModel(model, x, y, spec.batchSize));
  return { variant: `${spec.bits}bit`, bits: spec.bits, loss: r.loss, metrics: r.metrics };
}
