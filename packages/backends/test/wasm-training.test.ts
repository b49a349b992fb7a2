/**
 * Models built from the common layers train on @tensorflow/tfjs-backend-wasm with flatfit's extras
 * (every one of them hit "Kernel '…' not registered for backend 'wasm'" or trained there already):
 * each model, with SGD and with Adam, takes the same per-batch loss trajectory on wasm as on the cpu
 * backend from the same weights, data and dropout draws, and a second fit on wasm leaves no tensors.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installBackendExtras } from "@flatfit/backends";
import { gaussian, onBackend, prng, testBackend, withSeededMathRandom } from "@flatfit/testing";

test.before(async () => {
  installBackendExtras({ backends: ["wasm"] });
  await tf.setBackend(testBackend());
});

const L = tf.layers;
const IMG = [10, 9, 3];
const SEQ = [7, 4];
const VOL = [7, 6, 5, 2];
const VOCAB = 20;
const TOKENS = 7;
const CLASSES = 3;

type Input = "image" | "volume" | "sequence" | "tokens" | "flat";
interface ModelCase {
  name: string;
  input: Input;
  layers: () => tf.layers.Layer[];
}

const out = () => L.dense({ units: CLASSES, activation: "softmax" });
const img = { inputShape: IMG };

/** The CLI's built-in models as packages/cli/src/zoo.ts builds them (that package depends on this one). */
function zooMlp(hidden: number[], activation: "relu" | "elu" | "tanh" | "sigmoid", batchNorm: boolean, dropout: number, inputShape: number[]): tf.layers.Layer[] {
  const ls: tf.layers.Layer[] = inputShape.length > 1 ? [L.flatten({ inputShape })] : [];
  hidden.forEach((units, i) => {
    ls.push(L.dense({ ...(i === 0 && inputShape.length === 1 ? { inputShape } : {}), units, kernelInitializer: "heNormal" }));
    if (batchNorm) ls.push(L.batchNormalization());
    ls.push(L.activation({ activation }));
    if (dropout > 0) ls.push(L.dropout({ rate: dropout }));
  });
  return [...ls, out()];
}
function zooCnn(filters: number[], kernelSize: number, dense: number, dropout: number): tf.layers.Layer[] {
  const ls: tf.layers.Layer[] = [];
  filters.forEach((f, i) => {
    ls.push(L.conv2d({ ...(i === 0 ? img : {}), filters: f, kernelSize, strides: 2, padding: "same", useBias: false, kernelInitializer: "heNormal" }));
    ls.push(L.batchNormalization(), L.activation({ activation: "relu" }));
  });
  ls.push(L.flatten());
  if (dense > 0) ls.push(L.dense({ units: dense, activation: "relu", kernelInitializer: "heNormal" }));
  if (dropout > 0) ls.push(L.dropout({ rate: dropout }));
  return [...ls, out()];
}

const MODELS: ModelCase[] = [
  { name: "conv2d same + bias", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: 3, padding: "same" }), L.flatten(), out()] },
  { name: "conv2d valid, strides 2×1, no bias", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: [3, 2], strides: [2, 1], padding: "valid", useBias: false }), L.flatten(), out()] },
  { name: "conv2d same, stride 2, relu", input: "image", layers: () => [L.conv2d({ ...img, filters: 5, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }), L.flatten(), out()] },
  { name: "depthwiseConv2d ×2 same", input: "image", layers: () => [L.depthwiseConv2d({ ...img, kernelSize: 3, depthMultiplier: 2, padding: "same" }), L.flatten(), out()] },
  { name: "depthwiseConv2d stride 2 valid relu, no bias", input: "image", layers: () => [L.depthwiseConv2d({ ...img, kernelSize: 3, strides: 2, padding: "valid", activation: "relu", useBias: false }), L.flatten(), out()] },
  { name: "conv2d → depthwiseConv2d stride 2 (input gradient)", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: 3 }), L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: "same" }), L.flatten(), out()] },
  { name: "separableConv2d same", input: "image", layers: () => [L.separableConv2d({ ...img, filters: 6, kernelSize: 3, padding: "same" }), L.flatten(), out()] },
  { name: "separableConv2d stride 2 valid ×2 relu", input: "image", layers: () => [L.separableConv2d({ ...img, filters: 6, kernelSize: 3, strides: 2, padding: "valid", depthMultiplier: 2, activation: "relu" }), L.flatten(), out()] },
  { name: "conv2d → separableConv2d → global average pooling", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: 3 }), L.separableConv2d({ filters: 5, kernelSize: 3 }), L.globalAveragePooling2d({}), out()] },
  { name: "conv2d → batchNormalization → relu", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: 3, padding: "same" }), L.batchNormalization(), L.activation({ activation: "relu" }), L.flatten(), out()] },
  { name: "dense → dropout", input: "image", layers: () => [L.flatten(img), L.dense({ units: 16, activation: "relu" }), L.dropout({ rate: 0.3 }), out()] },
  { name: "maxPooling2d 2 same", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: 3 }), L.maxPooling2d({ poolSize: 2, padding: "same" }), L.flatten(), out()] },
  { name: "maxPooling2d 3 stride 2 valid", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: 3 }), L.maxPooling2d({ poolSize: 3, strides: 2 }), L.flatten(), out()] },
  { name: "conv2d tanh → maxPooling2d 2 → conv2d → globalMaxPooling2d", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: 3, activation: "tanh" }), L.maxPooling2d({ poolSize: 2 }), L.conv2d({ filters: 4, kernelSize: 2 }), L.globalMaxPooling2d({}), out()] },
  { name: "conv3d stride 2 same → conv3d → maxPooling3d same", input: "volume", layers: () => [L.conv3d({ inputShape: VOL, filters: 3, kernelSize: 3, strides: 2, padding: "same" }), L.conv3d({ filters: 3, kernelSize: 2, padding: "same" }), L.maxPooling3d({ poolSize: 2, padding: "same" }), L.flatten(), out()] },
  { name: "averagePooling2d 2", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: 3 }), L.averagePooling2d({ poolSize: 2 }), L.flatten(), out()] },
  { name: "averagePooling2d 3 stride 2 same", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: 3 }), L.averagePooling2d({ poolSize: 3, strides: 2, padding: "same" }), L.flatten(), out()] },
  { name: "globalAveragePooling2d", input: "image", layers: () => [L.conv2d({ ...img, filters: 4, kernelSize: 3 }), L.globalAveragePooling2d({}), out()] },
  { name: "dense tanh → sigmoid → elu", input: "image", layers: () => [L.flatten(img), L.dense({ units: 8, activation: "tanh" }), L.dense({ units: 8, activation: "sigmoid" }), L.dense({ units: 8, activation: "elu" }), out()] },
  { name: "reshape → flatten", input: "image", layers: () => [L.reshape({ ...img, targetShape: [90, 3] }), L.flatten(), out()] },
  { name: "embedding → flatten", input: "tokens", layers: () => [L.embedding({ inputDim: VOCAB, outputDim: 5, inputLength: TOKENS }), L.flatten(), out()] },
  { name: "embedding → globalAveragePooling1d", input: "tokens", layers: () => [L.embedding({ inputDim: VOCAB, outputDim: 5, inputLength: TOKENS }), L.globalAveragePooling1d({}), out()] },
  { name: "embedding → lstm", input: "tokens", layers: () => [L.embedding({ inputDim: VOCAB, outputDim: 5, inputLength: TOKENS }), L.lstm({ units: 6 }), out()] },
  { name: "embedding → gru (sequences)", input: "tokens", layers: () => [L.embedding({ inputDim: VOCAB, outputDim: 5, inputLength: TOKENS }), L.gru({ units: 4, returnSequences: true }), L.flatten(), out()] },
  { name: "lstm (sequences) → lstm", input: "sequence", layers: () => [L.lstm({ inputShape: SEQ, units: 6, returnSequences: true }), L.lstm({ units: 5 }), out()] },
  { name: "gru", input: "sequence", layers: () => [L.gru({ inputShape: SEQ, units: 6 }), out()] },
  { name: "zoo mlp (image input)", input: "image", layers: () => zooMlp([32, 16], "relu", false, 0, IMG) },
  { name: "zoo mlp BN + dropout, elu", input: "flat", layers: () => zooMlp([32, 16], "elu", true, 0.2, [64]) },
  { name: "zoo mlp tanh", input: "flat", layers: () => zooMlp([16], "tanh", false, 0, [64]) },
  { name: "zoo cnn [8, 16]", input: "image", layers: () => zooCnn([8, 16], 3, 0, 0) },
  { name: "zoo cnn [4, 6] k5, dense 16, dropout", input: "image", layers: () => zooCnn([4, 6], 5, 16, 0.3) },
];

const N = 16;
const BATCH = 8;
const EPOCHS = 3;
/** Largest relative difference between the two backends' per-batch losses (measured: at most 3.6e-7). */
const TOL = 2e-6;

/** Seeded examples for an input kind, and one-hot labels. */
function examples(input: Input, seed: number): { x: Float32Array; xShape: number[]; y: Float32Array } {
  const r = prng(seed);
  const g = gaussian(r);
  const xShape = [N, ...(input === "image" ? IMG : input === "volume" ? VOL : input === "sequence" ? SEQ : input === "tokens" ? [TOKENS] : [64])];
  const size = xShape.reduce((p, d) => p * d, 1);
  const x = Float32Array.from({ length: size }, () => (input === "tokens" ? Math.floor(r() * VOCAB) : g()));
  const y = new Float32Array(N * CLASSES);
  for (let n = 0; n < N; n++) y[n * CLASSES + Math.floor(r() * CLASSES)] = 1;
  return { x, xShape, y };
}

function build(m: ModelCase, weights?: Float32Array[]): tf.Sequential {
  const model = tf.sequential({ layers: m.layers() });
  if (weights) {
    const values = weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape));
    model.setWeights(values);
    tf.dispose(values);
  }
  return model;
}

/** Per-batch losses of `fits` fits, Math.random (dropout masks) seeded; numTensors after each fit. */
async function train(m: ModelCase, opt: "sgd" | "adam", weights: Float32Array[] | undefined, fits: number, seed: number) {
  const d = examples(m.input, seed);
  return withSeededMathRandom(seed, async () => {
    const model = build(m, weights);
    const init = weights ?? model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
    const [x, y] = [tf.tensor(d.x, d.xShape), tf.tensor2d(d.y, [N, CLASSES])];
    model.compile({ optimizer: opt === "sgd" ? tf.train.sgd(0.1) : tf.train.adam(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const losses: number[] = [];
    const counts: number[] = [];
    for (let f = 0; f < fits; f++) {
      await model.fit(x, y, { epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0, callbacks: { onBatchEnd: async (_b, logs) => void losses.push(logs!.loss as number) } });
      counts.push(tf.memory().numTensors);
    }
    model.dispose();
    tf.dispose([x, y]);
    return { init, losses, counts };
  });
}

for (const [k, m] of MODELS.entries()) {
  for (const opt of ["sgd", "adam"] as const) {
    test(`${m.name} (${opt}): the same loss trajectory on wasm as on cpu; a second fit on wasm leaves no tensors`, async (t) => {
      const seed = 1000 + 10 * k + (opt === "sgd" ? 0 : 1);
      const cpu = await onBackend("cpu", () => train(m, opt, undefined, 1, seed));
      const wasm = await onBackend("wasm", () => train(m, opt, cpu.init, 2, seed));
      t.is(wasm.losses.length, 2 * cpu.losses.length);
      let worst = 0;
      cpu.losses.forEach((l, i) => {
        worst = Math.max(worst, Math.abs(wasm.losses[i] - l) / Math.max(1, Math.abs(l)));
      });
      t.log(`wasm ${wasm.losses.slice(0, cpu.losses.length).map((l) => l.toFixed(5)).join(" ")}`);
      t.log(`cpu ${cpu.losses.map((l) => l.toFixed(5)).join(" ")}; worst relative difference ${worst.toExponential(2)}`);
      t.true(cpu.losses.every(Number.isFinite) && wasm.losses.every(Number.isFinite), "finite losses");
      t.true(worst <= TOL, `wasm's losses differ from cpu's by ${worst} (relative)`);
      t.is(wasm.counts[1], wasm.counts[0], "numTensors after the second fit equals numTensors after the first");
    });
  }
}

