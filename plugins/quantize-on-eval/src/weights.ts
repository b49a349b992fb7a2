/**
 * Which weights of a model are quantized, and how they are swapped in and out. A weight is
 * reached through the tf.Variable behind its LayerVariable (assigning that directly: a
 * LayerVariable's `write` would apply constraints). Saved values are re-assigned on restore,
 * so the float weights come back bit-exactly.
 */
import * as tf from "@tensorflow/tfjs";
import type { Targets } from "./options";

type Layer = tf.layers.Layer;
type LayerVariable = Layer["weights"][number];

export type WeightRole = "kernel" | "bias" | "batchnorm" | "moving-statistic" | "other";

export interface ModelWeight {
  /** Full weight name, e.g. "dense_Dense1/kernel". */
  name: string;
  role: WeightRole;
  layer: Layer;
  variable: tf.Variable;
  /** Axes indexing output channels (for per-channel quantization). */
  channelAxes: number[];
}

const baseName = (name: string): string => name.slice(name.lastIndexOf("/") + 1).replace(/_\d+$/, "");

function roleOf(layer: Layer, w: LayerVariable): WeightRole {
  const base = baseName(w.name);
  if (base.endsWith("kernel") || base === "embeddings") return "kernel";
  if (base === "bias") return "bias";
  if (layer.getClassName() === "BatchNormalization" || layer.getClassName() === "LayerNormalization") {
    return base === "moving_mean" || base === "moving_variance" ? "moving-statistic" : "batchnorm";
  }
  return "other";
}

function channelAxesOf(layer: Layer, w: LayerVariable): number[] {
  const rank = w.shape.length;
  if (baseName(w.name) === "depthwise_kernel") return [rank - 2, rank - 1]; // [kh, kw, in, multiplier]
  if (layer.getClassName() === "Conv2DTranspose" || layer.getClassName() === "Conv3DTranspose") return [rank - 2]; // [..., out, in]
  return [rank - 1];
}

/** Every layer of the model, nested models expanded. */
export function allLayers(model: tf.LayersModel): Layer[] {
  const out: Layer[] = [];
  const visit = (layers: Layer[]) => {
    for (const l of layers) {
      if (l instanceof tf.LayersModel) visit(l.layers);
      else out.push(l);
    }
  };
  visit(model.layers);
  return out;
}

/** All weights of the model (each once), with their role. */
export function modelWeights(model: tf.LayersModel): ModelWeight[] {
  const seen = new Set<tf.Variable>();
  const out: ModelWeight[] = [];
  for (const layer of allLayers(model)) {
    for (const w of layer.weights) {
      const variable = w.read() as tf.Variable;
      if (seen.has(variable)) continue;
      seen.add(variable);
      out.push({ name: w.name, role: roleOf(layer, w), layer, variable, channelAxes: channelAxesOf(layer, w) });
    }
  }
  return out;
}

/**
 * The weights `targets` selects: "kernels" (Dense/Conv/Embedding kernels), "all" (every weight but
 * BatchNorm moving statistics), or those whose full name contains one of the given substrings.
 */
export function selectTargets(model: tf.LayersModel, targets: Targets): ModelWeight[] {
  const weights = modelWeights(model).filter((w) => w.variable.dtype === "float32");
  if (targets === "kernels") return weights.filter((w) => w.role === "kernel");
  if (targets === "all") return weights.filter((w) => w.role !== "moving-statistic");
  return weights.filter((w) => targets.some((s) => w.name.includes(s)));
}

/**
 * Temporary weight changes: `write` saves a variable's value the first time it is written;
 * `restore` re-assigns every saved value (bit-exact) and frees the copies.
 */
export class WeightSwap {
  private readonly saved = new Map<tf.Variable, tf.Tensor>();

  /** Assigns `value` to `v` (saving v's value first) and disposes `value`. */
  write(v: tf.Variable, value: tf.Tensor): void {
    if (!this.saved.has(v)) this.saved.set(v, tf.keep(tf.clone(v)));
    try {
      v.assign(value);
    } finally {
      value.dispose();
    }
  }

  /** Puts every written variable back to its saved value. */
  restore(): void {
    for (const [v, before] of this.saved) {
      v.assign(before);
      before.dispose();
    }
    this.saved.clear();
  }
}

/** Runs `fn` with weights changed by `change(swap)`, restoring them afterwards (also on error). */
export async function withSwappedWeights<T>(change: (swap: WeightSwap) => void, fn: () => Promise<T> | T): Promise<T> {
  const swap = new WeightSwap();
  try {
    change(swap);
    return await fn();
  } finally {
    swap.restore();
  }
}
