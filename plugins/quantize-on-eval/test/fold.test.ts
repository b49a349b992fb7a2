import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit } from "@flatfit/core";
import { findFoldablePairs, foldBatchNorm, withFoldedBatchNorm } from "@flatfit/plugin-quantize-on-eval";
import { blobs, bnDropoutModel, prng } from "@flatfit/testing";
import { captureEvaluations, refQuantize, weightBytes } from "./reference";

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

/** Gives every BatchNorm layer non-trivial γ, β, moving mean and variance. */
function randomizeBatchNorm(model: tf.LayersModel, seed: number): void {
  const rand = prng(seed);
  for (const l of model.layers) {
    if (l.getClassName() !== "BatchNormalization") continue;
    const values = l.getWeights().map((w) => {
      const base = w.size;
      const name = l.weights[l.getWeights().indexOf(w)].name;
      const arr = Array.from({ length: base }, () => (name.endsWith("variance") ? 0.2 + 2 * rand() : name.endsWith("gamma") ? 0.5 + rand() : 2 * rand() - 1));
      return tf.tensor(arr, w.shape);
    });
    l.setWeights(values);
    tf.dispose(values);
  }
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function denseBn(useBias: boolean): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 8, inputShape: [4], useBias, kernelInitializer: init(1), biasInitializer: "glorotUniform" }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.activation({ activation: "relu" }));
  m.add(tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init(2) }));
  return m;
}

function convBn(useBias: boolean): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2] });
  let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", useBias, kernelInitializer: init(3), biasInitializer: "glorotUniform" }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: "relu" }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.25 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: init(4) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

for (const [label, build, x] of [
  ["Dense → BN (with bias)", () => denseBn(true), () => tf.randomNormal([16, 4], 0, 1, "float32", 5)],
  ["Dense → BN (no bias: the offset goes to β)", () => denseBn(false), () => tf.randomNormal([16, 4], 0, 1, "float32", 5)],
  ["Conv2D → BN (functional, with bias)", () => convBn(true), () => tf.randomNormal([5, 6, 6, 2], 0, 1, "float32", 6)],
  ["Conv2D → BN (functional, no bias)", () => convBn(false), () => tf.randomNormal([5, 6, 6, 2], 0, 1, "float32", 6)],
] as Array<[string, () => tf.LayersModel, () => tf.Tensor]>) {
  test(`BN folding, ${label}: folded float model's outputs equal the unfolded model's in inference mode (≤ 1e-5); restore is bit-exact`, (t) => {
    const model = build();
    randomizeBatchNorm(model, 9);
    const input = x();
    const before = weightBytes(model);
    const y0 = model.predict(input) as tf.Tensor;
    const pre = model.layers.find((l) => l.getClassName() !== "InputLayer")!;
    const kernelBefore = tf.clone(pre.getWeights()[0]); // getWeights() hands out the variables themselves
    const handle = foldBatchNorm(model);
    t.is(handle.folded.length, 1, handle.folded.join("; "));
    t.true(maxAbsDiff(pre.getWeights()[0], kernelBefore) > 1e-3, "the kernel changed");
    const y1 = model.predict(input) as tf.Tensor;
    const diff = maxAbsDiff(y0, y1);
    t.log(`max |Δ output| ${diff.toExponential(2)}`);
    t.true(diff <= 1e-5);
    handle.restore();
    t.deepEqual(weightBytes(model), before, "weights bit-identical after restore");
    tf.dispose([input, y0, y1, kernelBefore]);
    model.dispose();
  });
}

test("BatchNorm after an activation (or not after Dense/Conv) is not folded, and says why", async (t) => {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 5, inputShape: [3], activation: "relu" }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.dropout({ rate: 0.1 }));
  m.add(tf.layers.batchNormalization());
  const { pairs, skipped } = findFoldablePairs(m);
  t.is(pairs.length, 0);
  t.log(skipped);
  t.regex(skipped[0], /activation "relu"/);
  t.regex(skipped[1], /does not follow a Dense\/Conv layer/);
  const before = weightBytes(m);
  const out = await withFoldedBatchNorm(m, () => 42);
  t.is(out, 42);
  t.deepEqual(weightBytes(m), before);
  m.dispose();
});

test("foldBatchNorm + 4-bit: the row equals a float64 reference (fold in float64, quantize the folded kernel, evaluate a model without BN)", async (t) => {
  const { x, y } = blobs(96, 4, 3, 3);
  const model = bnDropoutModel(1);
  model.compile({ optimizer: tf.train.sgd(0.05), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0, shuffle: false });
  randomizeBatchNorm(model, 4);
  const before = weightBytes(model);
  const ff = await createFlatfit({ logLevel: "warn", plugins: [{ use: "quantize-on-eval", bits: [4], foldBatchNorm: true }] });
  const captured = captureEvaluations(model);
  const rows = await ff.evaluate(model, x, y);
  t.deepEqual(weightBytes(model), before, "weights bit-identical afterwards");

  // reference, in float64: fold Dense1 ← BN, quantize both kernels symmetric per tensor
  const byName = (suffix: string, layer: number) => Array.from(model.layers[layer].weights.find((w) => w.name.endsWith(suffix))!.read().dataSync());
  const [k1, b1, k2, b2] = [byName("/kernel", 0), byName("/bias", 0), byName("/kernel", 4), byName("/bias", 4)];
  const [gamma, beta, mean, variance] = ["/gamma", "/beta", "/moving_mean", "/moving_variance"].map((n) => byName(n, 1));
  const units = gamma.length;
  const s = gamma.map((g, j) => g / Math.sqrt(variance[j] + 1e-3));
  const k1f = k1.map((v, i) => v * s[i % units]);
  const b1f = b1.map((v, j) => (v - mean[j]) * s[j] + beta[j]);
  const ref = tf.sequential();
  ref.add(tf.layers.dense({ units, inputShape: [4] }));
  ref.add(tf.layers.activation({ activation: "relu" }));
  ref.add(tf.layers.dense({ units: 3, activation: "softmax" }));
  ref.compile({ optimizer: "sgd", loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const weights = [
    tf.tensor2d(Array.from(refQuantize(k1f, units, 4, "symmetric", "tensor")), [4, units]),
    tf.tensor1d(b1f),
    tf.tensor2d(Array.from(refQuantize(k2, 3, 4, "symmetric", "tensor")), [units, 3]),
    tf.tensor1d(b2),
  ];
  ref.setWeights(weights);
  const out = ref.evaluate(x, y, { batchSize: 256 }) as tf.Scalar[];
  const [refLoss, refAcc] = out.map((v) => v.dataSync()[0]);
  const diff = Math.abs(rows[1].loss - refLoss);
  t.log(`folded 4-bit loss ${rows[1].loss.toFixed(6)} vs float64 reference ${refLoss.toFixed(6)} (|Δ| ${diff.toExponential(2)}); unfolded float ${rows[0].loss.toFixed(6)}`);
  t.true(diff <= 1e-5);
  t.is(rows[1].metrics.acc, refAcc);
  // while evaluated, the folded kernel held ≤ 15 distinct values
  const k1seen = captured[1].get(model.weights[0].name)!;
  t.true(new Set(k1seen).size <= 15);
  ff.dispose();
  tf.dispose([x, y, ...weights, ...out]);
  ref.dispose();
  model.dispose();
});
