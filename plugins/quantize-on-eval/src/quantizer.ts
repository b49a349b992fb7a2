/**
 * Uniform post-training quantizers (fake-quantization: the result is float, on the grid).
 *
 *   symmetric:  qmax = 2^(b−1) − 1,  Δ = max|W| / qmax,
 *               Q(W) = clamp(round(W/Δ), −qmax, qmax) · Δ            (at most 2^b − 1 values)
 *   asymmetric: levels = 2^b − 1,  lo = min(min W, 0),  hi = max(max W, 0),
 *               Δ = (hi − lo)/levels,  z = round(−lo/Δ),
 *               Q(W) = (clamp(round(W/Δ) + z, 0, levels) − z) · Δ     (at most 2^b values)
 *
 * The asymmetric range is widened to contain 0 so that 0 is exactly representable (Jacob et al.
 * 2018; Krishnamoorthi 2018). With granularity "channel", max/min (hence Δ and z) are taken per
 * output channel; otherwise over the whole tensor. A tensor (or channel) of zeros stays zero.
 */
import * as tf from "@tensorflow/tfjs";
import type { Granularity, Scheme } from "./options";

export interface QuantizerSpec {
  bits: number;
  scheme?: Scheme;
  granularity?: Granularity;
  /** Axes that index output channels (default: the last axis). Used with granularity "channel". */
  channelAxes?: number[];
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw new RangeError(`quantize: bits must be an integer from 2 to 16 (got ${bits})`);
}

/** The axes to reduce over for the step size: all of them per tensor, all but the channel axes per channel. */
function reductionAxes(w: tf.Tensor, spec: QuantizerSpec): number[] | undefined {
  if ((spec.granularity ?? "tensor") === "tensor" || w.rank < 2) return undefined;
  const channel = new Set((spec.channelAxes ?? [w.rank - 1]).map((a) => (a < 0 ? w.rank + a : a)));
  return Array.from({ length: w.rank }, (_, i) => i).filter((i) => !channel.has(i));
}

/** Δ, or 1 where Δ is 0 (an all-zero tensor or channel quantizes to zeros either way). */
const safeStep = (delta: tf.Tensor): tf.Tensor => tf.where(tf.greater(delta, 0), delta, tf.onesLike(delta));

/** Symmetric uniform quantization of `w` to `bits` bits (per tensor, or per channel). */
export function quantizeSymmetric(w: tf.Tensor, spec: QuantizerSpec): tf.Tensor {
  checkBits(spec.bits);
  return tf.tidy(() => {
    const qmax = 2 ** (spec.bits - 1) - 1;
    const axes = reductionAxes(w, spec);
    const maxAbs = tf.max(tf.abs(w), axes, true);
    const delta = safeStep(tf.div(maxAbs, qmax));
    return tf.mul(tf.clipByValue(tf.round(tf.div(w, delta)), -qmax, qmax), delta);
  });
}

/** Asymmetric (zero-point) uniform quantization of `w` to `bits` bits (per tensor, or per channel). */
export function quantizeAsymmetric(w: tf.Tensor, spec: QuantizerSpec): tf.Tensor {
  checkBits(spec.bits);
  return tf.tidy(() => {
    const levels = 2 ** spec.bits - 1;
    const axes = reductionAxes(w, spec);
    const lo = tf.minimum(tf.min(w, axes, true), 0);
    const hi = tf.maximum(tf.max(w, axes, true), 0);
    const delta = safeStep(tf.div(tf.sub(hi, lo), levels));
    const zero = tf.clipByValue(tf.round(tf.div(tf.neg(lo), delta)), 0, levels);
    const q = tf.clipByValue(tf.add(tf.round(tf.div(w, delta)), zero), 0, levels);
    return tf.mul(tf.sub(q, zero), delta);
  });
}

/** Quantizes `w` with the given scheme (default symmetric) and granularity (default per tensor). */
export function quantizeTensor(w: tf.Tensor, spec: QuantizerSpec): tf.Tensor {
  return (spec.scheme ?? "symmetric") === "asymmetric" ? quantizeAsymmetric(w, spec) : quantizeSymmetric(w, spec);
}

/** The most distinct values a quantized tensor (or channel) can hold: 2^b − 1 symmetric, 2^b asymmetric. */
export function quantizationLevels(bits: number, scheme: Scheme = "symmetric"): number {
  checkBits(bits);
  return scheme === "asymmetric" ? 2 ** bits : 2 ** bits - 1;
}
