/**
 * flatfit's part of a saved model: the plugins' state, the step count and the random stream's
 * position. It travels inside the optimizer's config, under the key `flatfit`, next to the inner
 * optimizer's own config and class name. So a model saved with `includeOptimizer` loads in an app
 * that has never heard of flatfit (tfjs builds the inner optimizer, e.g. Adam, and ignores the
 * extra key), and in an app with flatfit `ff.attach(model)` picks the state up again.
 *
 * tfjs drops unknown config keys when it builds an optimizer, so flatfit wraps the `fromConfig`
 * of every registered optimizer class: the state a config carries is remembered per optimizer
 * instance (as host arrays: nothing is allocated on the device until `attach`).
 */
import * as tf from "@tensorflow/tfjs";
import type { NamedTensor } from "./tensors";

export const CONFIG_KEY = "flatfit";

interface EncodedTensor {
  dtype: "float32" | "int32";
  shape: number[];
  /** The values, little-endian, base64. */
  data: string;
}
export interface SavedStateConfig {
  format: 1;
  weights: Record<string, EncodedTensor>;
}

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function fromBase64(text: string): ArrayBuffer {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes.buffer;
}

/** Host copies of saved state, ready to become tensors. */
export type HostState = Array<{ name: string; dtype: "float32" | "int32"; shape: number[]; values: Float32Array | Int32Array }>;

/** Encodes state tensors for the optimizer config (reads them to the host: call outside a step). */
export function encodeState(weights: readonly NamedTensor[]): SavedStateConfig {
  const out: Record<string, EncodedTensor> = {};
  for (const { name, tensor } of weights) {
    const dtype = tensor.dtype === "int32" ? "int32" : "float32";
    const values = tensor.dtype === dtype ? (tensor.dataSync() as Float32Array | Int32Array) : Float32Array.from(tensor.dataSync());
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
    out[name] = { dtype, shape: tensor.shape.slice(), data: toBase64(bytes) };
  }
  return { format: 1, weights: out };
}

export function decodeState(config: unknown): HostState {
  const c = config as Partial<SavedStateConfig> | undefined;
  if (!c || c.format !== 1 || typeof c.weights !== "object" || c.weights === null) {
    throw new Error(`saved flatfit state: expected {format: 1, weights: {…}} in the optimizer config's "${CONFIG_KEY}" key`);
  }
  return Object.entries(c.weights).map(([name, w]) => {
    const buffer = fromBase64(w.data);
    const values = w.dtype === "int32" ? new Int32Array(buffer) : new Float32Array(buffer);
    return { name, dtype: w.dtype, shape: w.shape, values };
  });
}

/** Tensors (owned by the caller) for host state. */
export function toTensors(state: HostState): NamedTensor[] {
  return state.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape, w.dtype) }));
}

const stashed = new WeakMap<tf.Optimizer, HostState>();
const WRAPPED = Symbol.for("flatfit.fromConfigWrapped");

type Entry = [tf.serialization.SerializableConstructor<tf.serialization.Serializable>, (cls: unknown, config: tf.serialization.ConfigDict) => unknown];

/**
 * Wraps `fromConfig` of every registered optimizer class (idempotent): an optimizer built from a
 * config with a `flatfit` key remembers that state for `takeStashedState`.
 */
export function watchOptimizerConfigs(): void {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as unknown as Record<string, Entry>;
  for (const [name, entry] of Object.entries(map)) {
    const [cls, fromConfig] = entry;
    if (typeof cls !== "function" || !(cls.prototype instanceof tf.Optimizer)) continue;
    if ((fromConfig as unknown as Record<symbol, boolean>)[WRAPPED]) continue;
    const wrapped = (c: unknown, config: tf.serialization.ConfigDict) => {
      const saved = config?.[CONFIG_KEY];
      const rest = { ...config };
      delete rest[CONFIG_KEY];
      const optimizer = fromConfig(c, rest) as tf.Optimizer;
      if (saved !== undefined && saved !== null) stashed.set(optimizer, decodeState(saved));
      return optimizer;
    };
    (wrapped as unknown as Record<symbol, boolean>)[WRAPPED] = true;
    map[name] = [cls, wrapped];
  }
}

/** The flatfit state a loaded optimizer's config carried (once; undefined when there was none). */
export function takeStashedState(optimizer: tf.Optimizer): HostState | undefined {
  const s = stashed.get(optimizer);
  stashed.delete(optimizer);
  return s;
}
