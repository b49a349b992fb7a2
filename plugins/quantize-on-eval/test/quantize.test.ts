import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, FlatfitConfigError } from "@flatfit/core";
import { quantizeTensor, quantizationLevels, evaluateQuantized } from "@flatfit/plugin-quantize-on-eval";
import { blobs, bnDropoutModel, checkFitContract } from "@flatfit/testing";
import { captureEvaluations, distinct, maxDistinctPerChannel, refQuantize, snapshot, weightBytes, type Granularity, type Scheme } from "./reference";

const compile = (m: tf.LayersModel) => m.compile({ optimizer: tf.train.sgd(0.05), loss: "categoricalCrossentropy", metrics: ["accuracy"] });

async function trainedModel(seed = 1): Promise<{ model: tf.Sequential; x: tf.Tensor2D; y: tf.Tensor2D }> {
  const { x, y } = blobs(96, 4, 3, 3);
  const model = bnDropoutModel(seed);
  compile(model);
  await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0, shuffle: false });
  return { model, x, y };
}

const isKernel = (name: string) => name.endsWith("/kernel");
const channelsOf = (model: tf.LayersModel, name: string) => {
  const w = model.weights.find((v) => v.name === name)!;
  return w.shape[w.shape.length - 1] as number;
};

/** Loss and accuracy of a fresh copy of the model holding the reference-quantized kernels. */
async function referenceEval(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, bits: number, scheme: Scheme, granularity: Granularity, seed = 1) {
  const copy = bnDropoutModel(seed);
  compile(copy);
  const weights = model.weights.map((w) => {
    const v = w.read().dataSync() as Float32Array;
    return tf.tensor(isKernel(w.name) ? refQuantize(v, channelsOf(model, w.name), bits, scheme, granularity) : v, w.shape as number[]);
  });
  copy.setWeights(weights);
  const out = copy.evaluate(x, y, { batchSize: 256 }) as tf.Scalar[];
  const [loss, acc] = out.map((s) => s.dataSync()[0]);
  tf.dispose([...weights, ...out]);
  copy.dispose();
  return { loss, acc };
}

for (const [scheme, granularity] of [
  ["symmetric", "tensor"],
  ["symmetric", "channel"],
  ["asymmetric", "tensor"],
  ["asymmetric", "channel"],
] as Array<[Scheme, Granularity]>) {
  test(`${scheme} per-${granularity}: rows equal a float64 reference quantizer's evaluation; kernels on the grid while evaluated; weights bit-identical after`, async (t) => {
    const { model, x, y } = await trainedModel();
    const ff = await createFlatfit({ logLevel: "warn", plugins: [{ use: "quantize-on-eval", bits: [8, 4, 2], scheme, granularity }] });
    const float = snapshot(model);
    const before = weightBytes(model);
    const plain = model.evaluate(x, y, { batchSize: 256 }) as tf.Scalar[];
    const [plainLoss, plainAcc] = plain.map((s) => s.dataSync()[0]);
    const captured = captureEvaluations(model);

    const rows = await ff.evaluate(model, x, y);
    t.deepEqual(rows.map((r) => r.variant), ["float32", "8bit", "4bit", "2bit"]);
    t.is(rows[0].loss, plainLoss, "float32 row = plain model.evaluate (loss)");
    t.is(rows[0].metrics.acc, plainAcc, "float32 row = plain model.evaluate (accuracy)");
    t.is(captured.length, 4);

    for (const [k, bits] of [8, 4, 2].entries()) {
      const row = rows[k + 1];
      t.is(row.bits, bits);
      const ref = await referenceEval(model, x, y, bits, scheme, granularity);
      const diff = Math.abs(row.loss - ref.loss);
      t.log(`${bits}-bit: loss ${row.loss.toFixed(6)} vs reference ${ref.loss.toFixed(6)} (|Δ| ${diff.toExponential(2)}), acc ${row.metrics.acc} vs ${ref.acc}`);
      t.true(diff <= 1e-6, `${bits}-bit loss within 1e-6 of the reference`);
      t.is(row.metrics.acc, ref.acc);
      const seen = captured[k + 1];
      for (const [name, values] of seen) {
        if (!isKernel(name)) {
          t.deepEqual(values, float.get(name), `${name} stays float`);
          continue;
        }
        const channels = channelsOf(model, name);
        const levels = quantizationLevels(bits, scheme);
        const count = granularity === "channel" ? maxDistinctPerChannel(values, channels) : distinct(values);
        t.true(count <= levels, `${name} at ${bits} bits holds ${count} ≤ ${levels} distinct values (per ${granularity})`);
        const expected = refQuantize(float.get(name)!, channels, bits, scheme, granularity);
        const scale = Math.max(...Array.from(float.get(name)!, Math.abs));
        const worst = Math.max(...Array.from(values, (v, i) => Math.abs(v - expected[i])));
        t.true(worst <= 1e-6 * scale, `${name} equals the reference quantization (worst ${worst})`);
      }
    }
    t.deepEqual(weightBytes(model), before, "float weights bit-identical afterwards");
    ff.dispose();
    tf.dispose([x, y, ...plain]);
    model.dispose();
  });
}

test("an error thrown mid-evaluation leaves every weight bit-identical (also with BatchNorm folding)", async (t) => {
  const { model, x, y } = await trainedModel();
  for (const foldBatchNorm of [false, true]) {
    const ff = await createFlatfit({ logLevel: "warn", plugins: [{ use: "quantize-on-eval", bits: [8, 4], targets: "all", foldBatchNorm }] });
    const before = weightBytes(model);
    const evaluate = model.evaluate;
    const captured = captureEvaluations(model, 2); // call 0: float32, 1: 8-bit, 2: 4-bit throws
    await t.throwsAsync(() => ff.evaluate(model, x, y), { message: /boom/ });
    t.is(captured.length, 3);
    t.notDeepEqual(captured[2], captured[0], "the weights were quantized when it threw");
    t.deepEqual(weightBytes(model), before, `weights bit-identical after the error (foldBatchNorm ${foldBatchNorm})`);
    model.evaluate = evaluate;
    ff.dispose();
  }
  tf.dispose([x, y]);
  model.dispose();
});

test("targets: 'all' quantizes biases and BatchNorm scale/offset too (not moving statistics); a substring list picks weights by name", async (t) => {
  const { model, x, y } = await trainedModel();
  const float = snapshot(model);
  const changed = (seen: Map<string, Float32Array>) => [...seen].filter(([n, v]) => Buffer.compare(Buffer.from(v.buffer), Buffer.from(float.get(n)!.buffer)) !== 0).map(([n]) => n);

  let ff = await createFlatfit({ logLevel: "warn", plugins: [{ use: "quantize-on-eval", bits: [3], targets: "all" }] });
  let captured = captureEvaluations(model);
  await ff.evaluate(model, x, y);
  const all = changed(captured[1]);
  t.log("all:", all.join(", "));
  t.true(all.some((n) => n.endsWith("/bias")));
  t.true(all.some((n) => n.endsWith("/gamma")));
  t.false(all.some((n) => n.includes("moving_")));
  for (const [name, v] of captured[1]) if (!name.includes("moving_")) t.true(distinct(v) <= 7, name);
  ff.dispose();

  const second = model.layers[4].name; // the output Dense layer (names count up across models)
  ff = await createFlatfit({ logLevel: "warn", plugins: [{ use: "quantize-on-eval", bits: [3], targets: [`${second}/`] }] });
  captured = captureEvaluations(model);
  await ff.evaluate(model, x, y);
  const picked = changed(captured[1]);
  t.log(`['${second}/']:`, picked.join(", "));
  t.deepEqual(picked, [`${second}/kernel`, `${second}/bias`]);
  ff.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

test("evaluateQuantized (standalone, one bit-width) equals the plugin's row", async (t) => {
  const { model, x, y } = await trainedModel();
  const before = weightBytes(model);
  const row = await evaluateQuantized(model, x, y, { bits: 5, scheme: "symmetric", granularity: "channel" });
  const ff = await createFlatfit({ logLevel: "warn", plugins: [{ use: "quantize-on-eval", bits: [5], granularity: "channel" }] });
  const rows = await ff.evaluate(model, x, y);
  t.deepEqual(row, rows[1]);
  t.deepEqual(weightBytes(model), before);
  ff.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

test("quantizeTensor on known values; an all-zero tensor stays zero (no NaN)", (t) => {
  const w = tf.tensor1d([-1, -0.3, 0.1, 0.55, 1]);
  t.deepEqual(Array.from(quantizeTensor(w, { bits: 2 }).dataSync()), [-1, -0, 0, 1, 1]);
  const q3 = Array.from(quantizeTensor(w, { bits: 3 }).dataSync()); // Δ = 1/3
  const expect3 = [-3, -1, 0, 2, 3].map((k) => k / 3);
  t.true(q3.every((v, i) => Math.abs(v - expect3[i]) < 1e-6));
  const qa = Array.from(quantizeTensor(tf.tensor1d([0.5, 1, 2, 3.5]), { bits: 2, scheme: "asymmetric" }).dataSync()); // lo = 0, hi = 3.5, Δ = 7/6
  const ea = [0, 1, 2, 3].map((k) => (k * 3.5) / 3);
  t.true(qa.every((v, i) => Math.abs(v - ea[i]) < 1e-6), JSON.stringify(qa));
  t.deepEqual(Array.from(quantizeTensor(tf.zeros([2, 3]), { bits: 4, granularity: "channel" }).dataSync()), [0, 0, 0, 0, 0, 0]);
  t.throws(() => quantizeTensor(w, { bits: 1 }), { message: /bits must be an integer from 2 to 16/ });
  tf.dispose(w);
});

test("during model.fit the epoch logs carry val_<metric>@<b>bit for every bit-width; numTensors stable across fits", async (t) => {
  const { x, y } = blobs(96, 4, 3, 3);
  const { x: xv, y: yv } = blobs(48, 4, 3, 4);
  const ff = await createFlatfit({ seed: 1, logLevel: "warn", plugins: [{ use: "quantize-on-eval", bits: [8, 4] }] });
  const model = bnDropoutModel(2);
  model.compile({ optimizer: ff.wrap(tf.train.sgd(0.05)), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const before = weightBytes(model);
  const h = await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0, callbacks: [ff.callbacks({ validationData: [xv, yv] })] });
  t.notDeepEqual(weightBytes(model), before, "training moved the weights");
  for (const key of ["val_loss@8bit", "val_acc@8bit", "val_loss@4bit", "val_acc@4bit"]) {
    t.is(h.history[key]?.length, 2, key);
    t.true(h.history[key].every((v) => Number.isFinite(v as number)), key);
  }
  // the last epoch's 4-bit log is the 4-bit evaluation of the final weights
  const rows = await ff.evaluate(model, xv, yv);
  t.true(Math.abs((h.history["val_loss@4bit"][1] as number) - rows[2].loss) <= 1e-6);
  const afterFirst = tf.memory().numTensors;
  await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0, callbacks: [ff.callbacks({ validationData: [xv, yv] })] });
  t.is(tf.memory().numTensors, afterFirst, "numTensors stable across fits");
  ff.dispose();
  tf.dispose([x, y, xv, yv]);
  model.dispose();
});

test("keeps fit's contract (it taps no step hook)", async (t) => {
  await checkFitContract(t, [{ use: "quantize-on-eval", bits: [4] }]);
});

test("bad options are clear errors naming the plugin, the field and what is accepted", async (t) => {
  const bad = async (opts: Record<string, unknown>) => {
    const err = await t.throwsAsync(() => createFlatfit({ plugins: [{ use: "quantize-on-eval", ...opts }] }), { instanceOf: FlatfitConfigError });
    t.log(err!.message);
    t.regex(err!.message, /quantize-on-eval/);
    return err!.message;
  };
  t.regex(await bad({ bits: [8, 32] }), /"bits\[1\]".*integer from 2 to 16.*32/);
  t.regex(await bad({ bits: [1] }), /"bits\[0\]".*integer from 2 to 16/);
  t.regex(await bad({ bits: [4.5] }), /"bits\[0\]".*integer from 2 to 16/);
  t.regex(await bad({ bits: [] }), /"bits".*at least one bit-width/);
  t.regex(await bad({ bits: [4, 4] }), /"bits".*twice/);
  t.regex(await bad({ scheme: "log2" }), /"scheme".*"symmetric".*"asymmetric"/);
  t.regex(await bad({ granularity: "row" }), /"granularity".*"tensor".*"channel"/);
  t.regex(await bad({ targets: "biases" }), /"targets".*"kernels", "all"/);
  t.regex(await bad({ bitz: [4] }), /unknown option "bitz"; accepted: bits, scheme/);
});

test("a functional Conv2D → BatchNorm → Dropout model, per-channel symmetric 4-bit: each conv output channel holds ≤ 15 values and equals the reference", async (t) => {
  const input = tf.input({ shape: [5, 5, 2] });
  let h = tf.layers.conv2d({ filters: 3, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: "relu" }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.2 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  compile(model);
  const x = tf.randomNormal([10, 5, 5, 2], 0, 1, "float32", 2);
  const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1, 0, 0, 1, 1, 0], "int32"), 2);
  const float = snapshot(model);
  const before = weightBytes(model);
  const ff = await createFlatfit({ logLevel: "warn", plugins: [{ use: "quantize-on-eval", bits: [4], granularity: "channel" }] });
  const captured = captureEvaluations(model);
  const rows = await ff.evaluate(model, x, y);
  t.is(rows.length, 2);
  const convKernel = model.layers[1].weights[0].name;
  const seen = captured[1].get(convKernel)!;
  t.true(maxDistinctPerChannel(seen, 3) <= 15);
  t.true(distinct(seen) > 15, "channels have different grids");
  const expected = refQuantize(float.get(convKernel)!, 3, 4, "symmetric", "channel");
  t.true(Array.from(seen).every((v, i) => Math.abs(v - expected[i]) <= 1e-7));
  t.deepEqual(weightBytes(model), before);
  ff.dispose();
  tf.dispose([x, y]);
  model.dispose();
});
