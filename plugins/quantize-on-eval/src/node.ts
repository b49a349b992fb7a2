/**
 * Node-only entry, "@flatfit/plugin-quantize-on-eval/node": a tf.io.IOHandler that saves and
 * loads a model as files (model.json + weights.bin) with node:fs, for `saveQuantized` and
 * `tf.loadLayersModel` where tfjs-node (whose file:// handler does the same) is not installed.
 * Kept out of the main entry so that browser bundles carry no node: imports.
 *
 *   import { saveQuantized } from "@flatfit/plugin-quantize-on-eval";
 *   import { fileHandler } from "@flatfit/plugin-quantize-on-eval/node";
 *   await saveQuantized(model, fileHandler("out/model-u8"), { bits: 8 });
 *   const plain = await tf.loadLayersModel(fileHandler("out/model-u8"));  // or tfjs-node's file://…/model.json
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { modelJsonFor, weightDataBuffer } from "./save";

const WEIGHTS_FILE = "weights.bin";

/**
 * Files in `dir` (a path or a file:// URL; a path ending in model.json names that file): `save`
 * writes `model.json` and `weights.bin` (creating the folder), `load` reads them back (every
 * weights file the manifest lists).
 */
export function fileHandler(dir: string): tf.io.IOHandler {
  let folder = dir.startsWith("file://") ? fileURLToPath(dir) : dir;
  if (path.basename(folder) === "model.json") folder = path.dirname(folder);
  const modelPath = path.join(folder, "model.json");
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error("fileHandler: binary (GraphDef) topologies are not supported");
      const weights = weightDataBuffer(artifacts.weightData);
      await fs.promises.mkdir(folder, { recursive: true });
      await fs.promises.writeFile(path.join(folder, WEIGHTS_FILE), new Uint8Array(weights));
      await fs.promises.writeFile(modelPath, JSON.stringify(modelJsonFor(artifacts, [WEIGHTS_FILE])));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = JSON.parse(await fs.promises.readFile(modelPath, "utf8")) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            const b = await fs.promises.readFile(path.join(folder, p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}
