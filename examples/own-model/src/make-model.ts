/**
 * "Your" model: an ordinary tfjs Keras-style model, built and saved the way you would save it —
 * a folder with model.json and the weights. With @tensorflow/tfjs-node that is simply
 * `await model.save("file://examples/own-model/saved-model")`; this script writes the same two
 * files through a save handler so that it runs with plain @tensorflow/tfjs too.
 * `npm run build` in this folder runs it once; flatfit then trains the saved model from train.yaml.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";

const target = path.join(__dirname, "..", "..", "saved-model");

function buildModel(): tf.LayersModel {
  const input = tf.input({ shape: [784] });
  const hidden = tf.layers.dense({ units: 64, activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: 7 }) }).apply(input) as tf.SymbolicTensor;
  const dropped = tf.layers.dropout({ rate: 0.1 }).apply(hidden) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }).apply(dropped) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: "my_mnist_mlp" });
}

async function save(model: tf.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new tf.io.CompositeArrayBuffer(artifacts.weightData!).slice();
      writeFileSync(path.join(dir, "weights.bin"), Buffer.from(weights));
      const json = { modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }] };
      writeFileSync(path.join(dir, "model.json"), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

async function main(): Promise<void> {
  if (existsSync(path.join(target, "model.json")) && !process.argv.includes("--force")) {
    console.log(`saved model already at ${target} (pass --force to rebuild it)`);
    return;
  }
  const model = buildModel();
  await save(model, target);
  console.log(`saved ${model.name} (${model.countParams()} parameters) to ${target}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
