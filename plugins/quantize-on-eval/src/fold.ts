/**
 * BatchNorm folding, as deployment does before quantizing: a BatchNormalization layer that
 * directly follows a Dense/Conv layer (linear activation, channels last) is merged into that
 * layer's kernel and bias, per output channel c:
 *
 *   s_c      = γ_c / √(σ²_c + ε)
 *   kernel'  = kernel · s_c                 (along the output-channel axis)
 *   bias'_c  = (bias_c − μ_c) · s_c + β_c   (bias_c = 0 when the layer has none)
 *
 * The model keeps its layers: the BatchNorm layer is set to an identity (γ = 1, μ = 0,
 * σ² = 1 − ε, β = 0), or to a pure bias add (β = bias') when the Dense/Conv layer has no bias.
 * In inference mode the folded model computes the same function (up to float rounding).
 */
import * as tf from "@tensorflow/tfjs";
import { allLayers, type WeightSwap } from "./weights";

type Layer = tf.layers.Layer;

const FOLDABLE = new Set(["Dense", "Conv1D", "Conv2D", "Conv3D"]);

export interface FoldablePair {
  /** The Dense/Conv layer whose kernel (and bias) absorb the BatchNorm. */
  layer: Layer;
  batchNorm: Layer;
}

const base = (name: string): string => name.slice(name.lastIndexOf("/") + 1).replace(/_\d+$/, "");
const weightOf = (layer: Layer, name: string): tf.Variable | undefined =>
  layer.weights.find((w) => base(w.name) === name)?.read() as tf.Variable | undefined;

function config(layer: Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

/** Why a Dense/Conv → BatchNorm pair cannot be folded, or undefined when it can. */
function obstacle(layer: Layer, bn: Layer, modelOutputs: Set<Layer>): string | undefined {
  const c = config(layer);
  if ((c.activation ?? "linear") !== "linear") return `${layer.name} has activation "${c.activation}" before the BatchNorm`;
  if (c.dataFormat === "channelsFirst") return `${layer.name} is channels-first`;
  if (layer.inboundNodes.length !== 1 || bn.inboundNodes.length !== 1) return `${layer.name} or ${bn.name} is shared`;
  if (layer.outboundNodes.length !== 1 || modelOutputs.has(layer)) return `${layer.name}'s output is used elsewhere too`;
  if (bn.inboundNodes[0].inboundLayers.length !== 1) return `${bn.name} has several inputs`;
  const rank = (layer.outputShape as number[]).length;
  const axis = Number(config(bn).axis ?? -1);
  if (axis !== -1 && axis !== rank - 1) return `${bn.name} normalizes axis ${axis}, not the channel axis`;
  if (!weightOf(layer, "bias") && !weightOf(bn, "beta")) return `neither ${layer.name} nor ${bn.name} has a bias to carry the folded offset`;
  return undefined;
}

/**
 * Dense/Conv → BatchNormalization pairs of the model that can be folded (see the module notes);
 * `skipped` says why other BatchNorm layers cannot.
 */
export function findFoldablePairs(model: tf.LayersModel): { pairs: FoldablePair[]; skipped: string[] } {
  const outputs = new Set(model.outputs.map((o) => o.sourceLayer as Layer));
  const pairs: FoldablePair[] = [];
  const skipped: string[] = [];
  for (const bn of allLayers(model)) {
    if (bn.getClassName() !== "BatchNormalization") continue;
    const prev = bn.inboundNodes[0]?.inboundLayers[0];
    if (!prev || !FOLDABLE.has(prev.getClassName())) {
      skipped.push(`${bn.name} does not follow a Dense/Conv layer`);
      continue;
    }
    const why = obstacle(prev, bn, outputs);
    if (why) skipped.push(why);
    else pairs.push({ layer: prev, batchNorm: bn });
  }
  return { pairs, skipped };
}

/** The folded kernel and bias of a pair, from the current weights (new tensors; the caller owns them). */
export function foldedWeights(pair: FoldablePair): { kernel: tf.Tensor; bias: tf.Tensor } {
  const { layer, batchNorm: bn } = pair;
  const kernel = weightOf(layer, "kernel");
  if (!kernel) throw new Error(`foldBatchNorm: ${layer.name} has no kernel`);
  const eps = Number(config(bn).epsilon ?? 1e-3);
  return tf.tidy(() => {
    const channels = kernel.shape[kernel.rank - 1];
    const gamma = weightOf(bn, "gamma") ?? tf.ones([channels]);
    const beta = weightOf(bn, "beta") ?? tf.zeros([channels]);
    const mean = weightOf(bn, "moving_mean")!;
    const variance = weightOf(bn, "moving_variance")!;
    const bias = weightOf(layer, "bias") ?? tf.zeros([channels]);
    const s = tf.div(gamma, tf.sqrt(tf.add(variance, eps)));
    return { kernel: tf.mul(kernel, s), bias: tf.add(tf.mul(tf.sub(bias, mean), s), beta) };
  });
}

/** Writes the folded weights of every pair into the model through `swap` (restorable). */
export function applyFold(pairs: readonly FoldablePair[], swap: WeightSwap): void {
  for (const pair of pairs) {
    const { layer, batchNorm: bn } = pair;
    const { kernel, bias } = foldedWeights(pair);
    const eps = Number(config(bn).epsilon ?? 1e-3);
    const layerBias = weightOf(layer, "bias");
    const gamma = weightOf(bn, "gamma");
    const beta = weightOf(bn, "beta");
    const mean = weightOf(bn, "moving_mean")!;
    const variance = weightOf(bn, "moving_variance")!;
    swap.write(weightOf(layer, "kernel")!, kernel);
    if (layerBias) {
      swap.write(layerBias, bias);
      if (beta) swap.write(beta, tf.zerosLike(beta));
    } else {
      swap.write(beta!, bias);
    }
    if (gamma) swap.write(gamma, tf.onesLike(gamma));
    swap.write(mean, tf.zerosLike(mean));
    swap.write(variance, tf.fill(variance.shape, Math.fround(1 - eps)));
  }
}
