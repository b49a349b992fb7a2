/**
 * Saving and loading tfjs LayersModels as a folder — model.json plus binary weight files, the
 * layout `model.save("file://dir")` writes with tfjs-node — without tfjs-node (which cannot be
 * installed everywhere): the artifacts go through `tf.io.withSaveHandler` / `tf.io.fromMemory`.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";

const WEIGHTS = "weights.bin";

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

export interface SaveModelOptions {
  /**
   * Also save the optimizer (its config, which carries flatfit's state, and its weights), so that
   * training can continue where it stopped (`loadModelDir`, then `ff.wrap(model.optimizer)`).
   */
  includeOptimizer?: boolean;
  /** Written as model.json's `userDefinedMetadata`. */
  metadata?: Record<string, {}>;
}

/**
 * Writes tf.io artifacts to `dir/model.json` + `dir/weights.bin` (the folder is created), with
 * `metadata` merged over the artifacts' own `userDefinedMetadata`.
 */
function writeArtifacts(dir: string, artifacts: tf.io.ModelArtifacts, metadata?: Record<string, {}>): tf.io.SaveResult {
  const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : new tf.io.CompositeArrayBuffer(artifacts.weightData).slice();
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as tf.io.ModelJSON["modelTopology"],
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [WEIGHTS], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata || metadata ? { userDefinedMetadata: { ...artifacts.userDefinedMetadata, ...metadata } } : {}),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, WEIGHTS), Buffer.from(data));
  writeFileSync(path.join(dir, "model.json"), JSON.stringify(json));
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/** Writes `dir/model.json` and `dir/weights.bin` (the folder is created). */
export async function saveModelDir(model: tf.LayersModel, dir: string, opts: SaveModelOptions = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => writeArtifacts(dir, artifacts, opts.metadata)),
    { includeOptimizer: opts.includeOptimizer === true },
  );
}

/**
 * A `tf.io.IOHandler` that saves artifacts as they come — quantized weight specs included — to
 * `dir/model.json` + `dir/weights.bin` (the folder is created), for `saveQuantized`.
 */
export function dirSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error("dirSaveHandler: binary (GraphDef) topologies are not supported");
      return writeArtifacts(dir, artifacts);
    },
  };
}

/** model.json's `userDefinedMetadata` (undefined when there is no model.json or no metadata). */
export function readModelMetadata(location: string): Record<string, unknown> | undefined {
  const file = modelJsonPath(location);
  if (!existsSync(file)) return undefined;
  const json = JSON.parse(readFileSync(file, "utf8")) as tf.io.ModelJSON;
  return json.userDefinedMetadata as Record<string, unknown> | undefined;
}

/** The model.json of a folder (or the file itself, when given a .json path). */
function modelJsonPath(location: string): string {
  if (existsSync(location) && statSync(location).isDirectory()) return path.join(location, "model.json");
  return location;
}

/** Loads a LayersModel saved as model.json + weight files (any number of shards). */
export async function loadModelDir(location: string): Promise<tf.LayersModel> {
  const file = modelJsonPath(location);
  if (!existsSync(file)) throw new Error(`no saved tfjs model at ${location}: expected a folder with model.json and its weight files`);
  const json = JSON.parse(readFileSync(file, "utf8")) as tf.io.ModelJSON;
  if (!json.modelTopology) throw new Error(`${file}: not a tfjs layers model (no modelTopology)`);
  const dir = path.dirname(file);
  const groups = json.weightsManifest ?? [];
  const buffers = groups.flatMap((g) => g.paths.map((p) => toArrayBuffer(readFileSync(path.join(dir, p)))));
  const handler = tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: groups.flatMap((g) => g.weights),
    weightData: tf.io.concatenateArrayBuffers(buffers),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig,
  });
  return tf.loadLayersModel(handler);
}
