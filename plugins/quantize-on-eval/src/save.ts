/**
 * Saving a model quantized in tfjs's weights format: every float32 weight as uint8 or uint16 codes
 * with `quantization: {dtype, min, scale}` in the weights manifest, as tensorflowjs_converter
 * --quantize_uint8 / --quantize_uint16 writes it (see converter.ts). Plain `tf.loadLayersModel`
 * reads it back (no flatfit needed), and the weights it reads equal the preset "tfjs-converter"'s
 * simulated weights bit for bit.
 */
import * as tf from "@tensorflow/tfjs";
import { evaluateModel, type EvalRow } from "@flatfit/core";
import { converterQuantize, isConverterBits, TFJS_CONVERTER_BITS, type ConverterBits } from "./converter";
import { evaluateQuantized } from "./evaluate";

export interface SaveQuantizedOptions {
  /** 8 (uint8, 1 byte per weight) or 16 (uint16, 2 bytes per weight). */
  bits: ConverterBits;
  /**
   * Also evaluate: the saved model (read back with `tf.loadLayersModel` from exactly the artifacts
   * handed to the handler, compiled with this model's loss and metrics) beside the simulated
   * preset "tfjs-converter" at the same bits. The model must be compiled.
   */
  data?: { x: tf.Tensor | tf.Tensor[]; y: tf.Tensor | tf.Tensor[]; batchSize?: number };
}

export interface SaveQuantizedResult {
  bits: ConverterBits;
  dtype: "uint8" | "uint16";
  /** What the handler returned. */
  saveResult: tf.io.SaveResult;
  /** The artifacts handed to the handler (weightData: one ArrayBuffer). */
  artifacts: tf.io.ModelArtifacts;
  bytes: {
    /** The weights file: 1 or 2 bytes per float32 weight value (other dtypes as they were). */
    weights: number;
    /** The same weights in float32, as `model.save` writes them. */
    floatWeights: number;
    /** model.json (topology and weights manifest) as a file handler writes it, weights in one file "weights.bin". */
    modelJson: number;
    total: number;
  };
  /** Names of the quantized weights (every float32 weight) and of those kept as they were. */
  quantized: string[];
  kept: string[];
  /** With `data`: the saved file's row (variant "<b>bit-saved") and the simulated preset's row ("<b>bit"). */
  evaluation?: { saved: EvalRow; simulated: EvalRow };
  /** One line for a log: the sizes, and with `data` the saved and simulated loss and metrics. */
  summary: string;
}

const kB = (n: number): string => `${(n / 1024).toFixed(1)} kB`;
const rowText = (r: EvalRow): string => [`loss ${r.loss.toPrecision(6)}`, ...Object.entries(r.metrics).map(([k, v]) => `${k} ${v.toPrecision(6)}`)].join(", ");

function summarize(r: Omit<SaveQuantizedResult, "summary">): string {
  const { bytes } = r;
  let s = `saved ${r.dtype} (tfjs weights format): weights ${kB(bytes.weights)} (float32 ${kB(bytes.floatWeights)}), model.json ${kB(bytes.modelJson)}, ${r.quantized.length} weights quantized`;
  if (r.evaluation) s += `; saved file: ${rowText(r.evaluation.saved)} | simulated ${r.evaluation.simulated.variant} (preset tfjs-converter): ${rowText(r.evaluation.simulated)}`;
  return s;
}

const ACCEPTED = ["bits", "data"];

/** Checks everything before anything is written; throws an Error naming the field and what is accepted. */
function checkOptions(options: unknown): SaveQuantizedOptions {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`saveQuantized: options must be an object like {bits: 8} (bits 8 or 16); got ${JSON.stringify(options)}`);
  }
  const o = options as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !ACCEPTED.includes(k));
  if (unknown.length) throw new TypeError(`saveQuantized: unknown option ${unknown.map((k) => `"${k}"`).join(", ")}; accepted: ${ACCEPTED.join(", ")}`);
  if (!isConverterBits(o.bits)) {
    throw new RangeError(
      `saveQuantized: option "bits" must be ${TFJS_CONVERTER_BITS.join(" or ")} (uint8 or uint16, the widths tfjs's weights format stores); got ${o.bits === undefined ? "nothing" : JSON.stringify(o.bits)}`,
    );
  }
  if (o.data !== undefined) {
    const d = o.data as Record<string, unknown> | null;
    const isTensors = (v: unknown) => v instanceof tf.Tensor || (Array.isArray(v) && v.length > 0 && v.every((t) => t instanceof tf.Tensor));
    if (d === null || typeof d !== "object" || !isTensors(d.x) || !isTensors(d.y)) {
      throw new TypeError('saveQuantized: option "data" must be {x, y} with tensors (or arrays of tensors), and optionally batchSize');
    }
    if (d.batchSize !== undefined && !(Number.isInteger(d.batchSize) && (d.batchSize as number) > 0)) {
      throw new RangeError(`saveQuantized: option "data.batchSize" must be a positive integer; got ${JSON.stringify(d.batchSize)}`);
    }
  }
  return o as unknown as SaveQuantizedOptions;
}

function resolveHandler(handlerOrUrl: tf.io.IOHandler | string): tf.io.IOHandler {
  if (typeof handlerOrUrl === "string") {
    const handlers = tf.io.getSaveHandlers(handlerOrUrl);
    if (handlers.length === 1) return handlers[0];
    if (handlers.length > 1) throw new Error(`saveQuantized: ${handlers.length} tfjs save handlers match "${handlerOrUrl}"; pass one IOHandler instead`);
    const hint = handlerOrUrl.startsWith("file://")
      ? ' In Node without tfjs-node, pass fileHandler(dir) from "@flatfit/plugin-quantize-on-eval/node".'
      : " Pass a tf.io.IOHandler, or a URL tfjs saves to (localstorage://, indexeddb://, downloads://, http(s)://).";
    throw new Error(`saveQuantized: no tfjs save handler for "${handlerOrUrl}".${hint}`);
  }
  if (!handlerOrUrl || typeof (handlerOrUrl as tf.io.IOHandler).save !== "function") {
    throw new TypeError("saveQuantized: the second argument must be a tf.io.IOHandler with a save method, or a URL string");
  }
  return handlerOrUrl;
}

/** One ArrayBuffer holding the artifacts' weight data. */
export function weightDataBuffer(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/**
 * The artifacts with every float32 weight quantized as tfjs's converter does (uint8 or uint16
 * codes; manifest entries gain `quantization: {dtype, min, scale, original_dtype}`); other
 * weights are copied unchanged. `artifacts` comes from `model.save`.
 */
export function quantizeArtifacts(artifacts: tf.io.ModelArtifacts, bits: ConverterBits): { artifacts: tf.io.ModelArtifacts; quantized: string[]; kept: string[] } {
  const source = weightDataBuffer(artifacts.weightData);
  const specs = artifacts.weightSpecs ?? [];
  const parts: Uint8Array[] = [];
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  const quantized: string[] = [];
  const kept: string[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const per = BYTES[spec.dtype];
    if (per === undefined || spec.quantization) throw new Error(`saveQuantized: weight ${spec.name} (${spec.quantization ? "already quantized" : spec.dtype}) is not supported`);
    const bytes = source.slice(offset, offset + size * per);
    offset += size * per;
    if (spec.dtype === "float32") {
      const q = converterQuantize(new Float32Array(bytes), bits);
      parts.push(new Uint8Array(q.codes.buffer, q.codes.byteOffset, q.codes.byteLength));
      const quantization = { dtype: q.dtype, min: q.min, scale: q.scale, original_dtype: "float32" };
      outSpecs.push({ ...spec, quantization: quantization as tf.io.WeightsManifestEntry["quantization"] });
      quantized.push(spec.name);
    } else {
      parts.push(new Uint8Array(bytes));
      outSpecs.push({ ...spec });
      kept.push(spec.name);
    }
  }
  if (offset !== source.byteLength) throw new Error(`saveQuantized: the weight specs cover ${offset} of ${source.byteLength} bytes`);
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.byteLength;
  }
  return { artifacts: { ...artifacts, weightSpecs: outSpecs, weightData: data.buffer }, quantized, kept };
}

/** model.json as a file handler writes it: topology, format, provenance and the weights manifest (weights in `paths`). */
export function modelJsonFor(artifacts: tf.io.ModelArtifacts, paths: string[] = ["weights.bin"]): tf.io.ModelJSON {
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as tf.io.ModelJSON["modelTopology"],
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature) json.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  return json;
}

/**
 * The weights file's size when saved quantized to `bits` (every float32 value 1 or 2 bytes, other
 * dtypes as stored), and in float32: what `saveQuantized` reports as bytes.weights / floatWeights.
 */
export function quantizedSize(model: tf.LayersModel, bits: ConverterBits): { weights: number; floatWeights: number } {
  let weights = 0;
  let floatWeights = 0;
  for (const w of model.weights) {
    const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
    const per = BYTES[w.dtype] ?? 4;
    weights += w.dtype === "float32" ? n * (bits / 8) : n * per;
    floatWeights += n * per;
  }
  return { weights, floatWeights };
}

const utf8Length = (s: string): number => new TextEncoder().encode(s).byteLength;

/**
 * Saves `model` with every float32 weight quantized as tfjs's converter does, to 8 (uint8) or 16
 * (uint16) bits, through `handlerOrUrl` (any tf.io.IOHandler with `save`, or a URL tfjs saves to;
 * in Node, `fileHandler(dir)` from "@flatfit/plugin-quantize-on-eval/node"). The result loads with
 * plain `tf.loadLayersModel`. Options are checked before anything is written. Returns the sizes
 * and, with `data`, the saved file's evaluation beside the simulated preset's.
 *
 *   const r = await saveQuantized(model, fileHandler("out/model-u8"), { bits: 8, data: { x, y } });
 *   r.bytes.weights;                                          // 1 byte per weight
 *   r.evaluation.saved.metrics.acc === r.evaluation.simulated.metrics.acc;
 */
export async function saveQuantized(model: tf.LayersModel, handlerOrUrl: tf.io.IOHandler | string, options: SaveQuantizedOptions): Promise<SaveQuantizedResult> {
  const { bits, data } = checkOptions(options);
  const handler = resolveHandler(handlerOrUrl);
  if (data && model.loss == null) throw new Error('saveQuantized: option "data" evaluates the model with its compiled loss and metrics, but the model is not compiled');

  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  const float = captured!;
  const dtype = bits === 8 ? "uint8" : "uint16";
  const q = quantizeArtifacts(float, bits);
  const artifacts: tf.io.ModelArtifacts = {
    ...q.artifacts,
    convertedBy: `@flatfit/plugin-quantize-on-eval saveQuantized (${dtype}, as tensorflowjs_converter --quantize_${dtype})`,
  };
  const saveResult = await handler.save!(artifacts);

  const weights = weightDataBuffer(artifacts.weightData).byteLength;
  const modelJson = utf8Length(JSON.stringify(modelJsonFor(artifacts)));
  const result: Omit<SaveQuantizedResult, "summary"> = {
    bits,
    dtype,
    saveResult,
    artifacts,
    bytes: { weights, floatWeights: weightDataBuffer(float.weightData).byteLength, modelJson, total: weights + modelJson },
    quantized: q.quantized,
    kept: q.kept,
  };
  if (data) result.evaluation = await evaluateSaved(model, artifacts, bits, data);
  return { ...result, summary: summarize(result) };
}

/** The saved artifacts read back by plain tfjs and evaluated, beside the simulated preset on `model`. */
async function evaluateSaved(
  model: tf.LayersModel,
  artifacts: tf.io.ModelArtifacts,
  bits: ConverterBits,
  data: NonNullable<SaveQuantizedOptions["data"]>,
): Promise<{ saved: EvalRow; simulated: EvalRow }> {
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  try {
    loaded.compile({ optimizer: "sgd", loss: model.loss, metrics: model.metrics as string[] | undefined });
    const r = await evaluateModel(loaded, data.x, data.y, data.batchSize);
    const saved: EvalRow = { variant: `${bits}bit-saved`, bits, loss: r.loss, metrics: r.metrics };
    const simulated = await evaluateQuantized(model, data.x, data.y, { bits, preset: "tfjs-converter", batchSize: data.batchSize });
    return { saved, simulated };
  } finally {
    loaded.dispose();
  }
}
