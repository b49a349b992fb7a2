/** Test-side float64 reference: quantizers, BatchNorm folding and model snapshots, independent of the plugin. */
import * as tf from "@tensorflow/tfjs";

export type Scheme = "symmetric" | "asymmetric";
export type Granularity = "tensor" | "channel";

/** Quantizes a flat array holding a tensor whose LAST axis has `channels` entries (channel c = index % channels). */
export function refQuantize(values: ArrayLike<number>, channels: number, bits: number, scheme: Scheme, granularity: Granularity): Float32Array {
  const n = values.length;
  const groups = granularity === "channel" ? channels : 1;
  const group = (i: number) => (groups === 1 ? 0 : i % channels);
  const out = new Float32Array(n);
  for (let g = 0; g < groups; g++) {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (group(i) === g) idx.push(i);
    if (scheme === "symmetric") {
      const qmax = 2 ** (bits - 1) - 1;
      const maxAbs = Math.max(...idx.map((i) => Math.abs(values[i])));
      const delta = maxAbs > 0 ? maxAbs / qmax : 1;
      for (const i of idx) out[i] = Math.min(qmax, Math.max(-qmax, Math.round(values[i] / delta))) * delta;
    } else {
      const levels = 2 ** bits - 1;
      const lo = Math.min(0, ...idx.map((i) => values[i]));
      const hi = Math.max(0, ...idx.map((i) => values[i]));
      const delta = hi - lo > 0 ? (hi - lo) / levels : 1;
      const z = Math.round(-lo / delta);
      for (const i of idx) out[i] = (Math.min(levels, Math.max(0, Math.round(values[i] / delta) + z)) - z) * delta;
    }
  }
  return out;
}

/** name → values of every weight of the model (copies). */
export function snapshot(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(model.weights.map((w) => [w.name, Float32Array.from(w.read().dataSync() as Float32Array)]));
}

/** Bytes of every weight, for bit-identity checks. */
export function weightBytes(model: tf.LayersModel): Buffer[] {
  return model.weights.map((w) => Buffer.from(new Uint8Array((w.read().dataSync() as Float32Array).slice().buffer)));
}

export const distinct = (a: ArrayLike<number>): number => new Set(Array.from(a)).size;

/** Distinct values per channel (last axis of size `channels`); returns the largest count. */
export function maxDistinctPerChannel(a: ArrayLike<number>, channels: number): number {
  let worst = 0;
  for (let c = 0; c < channels; c++) {
    const s = new Set<number>();
    for (let i = c; i < a.length; i += channels) s.add(a[i]);
    worst = Math.max(worst, s.size);
  }
  return worst;
}

/** Wraps model.evaluate so that every call first records the model's weights (and may throw on a chosen call). */
export function captureEvaluations(model: tf.LayersModel, throwOnCall?: number): Map<string, Float32Array>[] {
  const captured: Map<string, Float32Array>[] = [];
  const original = model.evaluate.bind(model);
  model.evaluate = ((...args: Parameters<typeof model.evaluate>) => {
    captured.push(snapshot(model));
    if (throwOnCall !== undefined && captured.length - 1 === throwOnCall) throw new Error("boom: evaluation failed");
    return original(...args);
  }) as typeof model.evaluate;
  return captured;
}
