import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, FlatfitConfigError } from "@flatfit/core";
import {
  converterDequantize,
  converterQuantize,
  evaluateQuantized,
  quantizedSize,
  roundHalfEven,
  saveQuantized,
  withQuantizedWeights,
} from "@flatfit/plugin-quantize-on-eval";
import { fileHandler } from "@flatfit/plugin-quantize-on-eval/node";
import { blobs, bnDropoutModel } from "@flatfit/testing";
import { CONVERTER_VECTORS } from "./converter-vectors";
import { snapshot, weightBytes } from "./reference";

const compile = (m: tf.LayersModel) => m.compile({ optimizer: tf.train.sgd(0.05), loss: "categoricalCrossentropy", metrics: ["accuracy"] });

async function trainedModel(seed = 1) {
  const { x, y } = blobs(96, 4, 3, 3);
  const model = bnDropoutModel(seed);
  compile(model);
  await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0, shuffle: false });
  return { model, x, y };
}

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "flatfit-q-"));
const loadedBytes = (m: tf.LayersModel) => m.weights.map((w) => Buffer.from(new Uint8Array((w.read().dataSync() as Float32Array).slice().buffer)));

test("converterQuantize gives the converter's codes, min and scale (vectors from tensorflowjs' quantize_weights); ties round half to even", (t) => {
  for (const [name, v] of Object.entries(CONVERTER_VECTORS)) {
    const q = converterQuantize(Float32Array.from(v.values), v.bits);
    t.is(q.dtype, v.bits === 8 ? "uint8" : "uint16", name);
    t.is(q.min, v.min, `${name} min`);
    t.is(q.scale, v.scale, `${name} scale`);
    t.deepEqual(Array.from(q.codes), v.codes, `${name} codes`);
  }
  // the converter's own docstring: [0, -0.1, 1.2] → [20, 0, 255], min −0.10196078817, scale 0.00509803940852
  const doc = converterQuantize(Float32Array.from([0, -0.1, 1.2]), 8);
  t.deepEqual(Array.from(doc.codes), [20, 0, 255]);
  t.true(Math.abs(doc.min + 0.10196078817) < 1e-11 && Math.abs(doc.scale - 0.00509803940852) < 1e-13);
  t.is(converterDequantize(doc)[0], 0, "0 is exactly representable after the nudge");
  // min 0, max 255: scale 1, codes rint(v): halves go to the even neighbour
  t.deepEqual(Array.from(converterQuantize([0, 255, 0.5, 1.5, 2.5, 253.5], 8).codes), [0, 255, 0, 2, 2, 254]);
  t.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3]);
  // a constant tensor: codes 0, min = the value, scale 1 (exact)
  const c = converterQuantize(Float32Array.from([0.7, 0.7]), 16);
  t.deepEqual([Array.from(c.codes), c.min, c.scale], [[0, 0], Math.fround(0.7), 1]);
  t.deepEqual(Array.from(converterDequantize(c)), [Math.fround(0.7), Math.fround(0.7)]);
});

for (const bits of [8, 16] as const) {
  test(`saveQuantized ${bits}-bit: plain tf.loadLayersModel reads weights equal to the preset's simulated weights bit for bit; same loss and accuracy; sizes`, async (t) => {
    const { model, x, y } = await trainedModel();
    const float = weightBytes(model);
    const simulated = await withQuantizedWeights(model, { bits, preset: "tfjs-converter" }, () => snapshot(model));
    t.deepEqual(weightBytes(model), float, "float weights restored after the simulation");

    const dir = tmpDir();
    const result = await saveQuantized(model, fileHandler(dir), { bits, data: { x, y } });
    t.log(result.summary);
    t.deepEqual(weightBytes(model), float, "saving leaves the model's weights as they were");

    // the files: model.json with quantization entries, weights.bin with 1 or 2 bytes per value
    const json = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8")) as tf.io.ModelJSON;
    const entries = json.weightsManifest.flatMap((g) => g.weights);
    t.is(entries.length, model.weights.length);
    const values = entries.reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0);
    for (const e of entries) {
      t.is(e.dtype, "float32");
      t.is(e.quantization?.dtype, bits === 8 ? "uint8" : "uint16", e.name);
      t.true(Number.isFinite(e.quantization?.min) && (e.quantization?.scale ?? 0) > 0, e.name);
    }
    t.true(entries.some((e) => e.name.includes("moving_mean")), "moving statistics are quantized too, as the converter does");
    t.is(fs.statSync(path.join(dir, "weights.bin")).size, values * (bits / 8), "1 or 2 bytes per weight");
    t.is(result.bytes.weights, values * (bits / 8));
    t.is(result.bytes.floatWeights, values * 4);
    t.is(result.bytes.modelJson, fs.statSync(path.join(dir, "model.json")).size, "the reported model.json size is the file's");
    t.is(result.bytes.total, result.bytes.weights + result.bytes.modelJson);
    t.deepEqual(quantizedSize(model, bits), { weights: result.bytes.weights, floatWeights: result.bytes.floatWeights }, "quantizedSize predicts the weights file");
    t.deepEqual(result.quantized, model.weights.map((w) => w.name));

    // loaded by plain tfjs, from the files and from memory: weights equal the simulated ones
    for (const [how, handler] of [
      ["file", fileHandler(`file://${dir}/model.json`)],
      ["memory", tf.io.fromMemory(result.artifacts)],
    ] as const) {
      const loaded = await tf.loadLayersModel(handler);
      const sim = model.weights.map((w) => Buffer.from(simulated.get(w.name)!.buffer));
      t.deepEqual(loadedBytes(loaded), sim, `${how}: loaded weights = simulated preset weights, bit for bit`);
      t.notDeepEqual(loadedBytes(loaded), float, `${how}: and not the float weights`);
      loaded.dispose();
    }

    // accuracy: the saved file's evaluation equals the simulated variant's (and the plugin's row)
    const { saved, simulated: sim } = result.evaluation!;
    t.is(saved.loss, sim.loss, "same loss");
    t.deepEqual(saved.metrics, sim.metrics, "same accuracy");
    t.is(sim.variant, `${bits}bit`);
    t.is(saved.variant, `${bits}bit-saved`);
    const ff = await createFlatfit({ logLevel: "warn", plugins: [{ use: "quantize-on-eval", preset: "tfjs-converter", bits: [bits] }] });
    const rows = await ff.evaluate(model, x, y);
    t.deepEqual(rows[1], sim, "the plugin's row equals the simulated variant");
    ff.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    tf.dispose([x, y]);
    model.dispose();
  });
}

test("the preset quantizes every float32 weight affinely (nudged so that 0 is a code); without bits the plugin evaluates 8 and 16 bits", async (t) => {
  const { model, x, y } = await trainedModel(2);
  const float = snapshot(model);
  const q = await withQuantizedWeights(model, { bits: 8, preset: "tfjs-converter" }, () => snapshot(model));
  for (const [name, v] of q) {
    t.true(new Set(v).size <= 256, `${name}: at most 256 values`);
    const ref = converterDequantize(converterQuantize(float.get(name)!, 8));
    t.deepEqual(Buffer.from(v.buffer), Buffer.from(ref.buffer), `${name} = float32(code·scale + min)`);
    t.notDeepEqual(Buffer.from(v.buffer), Buffer.from(float.get(name)!.buffer), `${name} changed`);
  }
  const logs: string[] = [];
  const ff = await createFlatfit({ logLevel: "info", plugins: [{ use: "quantize-on-eval", preset: "tfjs-converter" }] }, { logSink: (_l, m) => logs.push(m) });
  t.deepEqual((await ff.evaluate(model, x, y)).map((r) => r.variant), ["float32", "8bit", "16bit"]);
  await ff.evaluate(model, x, y);
  const sizes = logs.filter((m) => m.includes("tfjs's converter quantization"));
  t.log(sizes.join("\n"));
  const values = model.weights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  t.deepEqual(sizes.length, 2, "one size line per variant, once");
  t.regex(sizes[0], new RegExp(`8bit is tfjs's converter quantization \\(uint8\\): weights file ${values} bytes \\(float32 ${values * 4}\\)`));
  t.regex(sizes[1], new RegExp(`16bit .*uint16.*weights file ${values * 2} bytes`));
  t.deepEqual(quantizedSize(model, 16), { weights: values * 2, floatWeights: values * 4 });
  ff.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

test("bad options: clear errors naming the field and the accepted values, and no file written", async (t) => {
  const { model, x, y } = await trainedModel();
  const dir = path.join(tmpDir(), "out");
  const refused = async (opts: unknown, re: RegExp, handler: tf.io.IOHandler | string = fileHandler(dir)) => {
    const err = await t.throwsAsync(() => saveQuantized(model, handler, opts as never));
    t.log(err!.message);
    t.regex(err!.message, re);
    t.false(fs.existsSync(dir), "nothing written");
  };
  await refused({ bits: 4 }, /option "bits" must be 8 or 16 \(uint8 or uint16.*got 4/);
  await refused({ bits: 32 }, /option "bits" must be 8 or 16.*got 32/);
  await refused({}, /option "bits" must be 8 or 16.*got nothing/);
  await refused(undefined, /options must be an object like \{bits: 8\}/);
  await refused({ bits: 8, bitz: 8 }, /unknown option "bitz"; accepted: bits, data/);
  await refused({ bits: 8, data: { x } }, /option "data" must be \{x, y\} with tensors/);
  await refused({ bits: 8, data: { x, y, batchSize: 0 } }, /"data.batchSize" must be a positive integer/);
  await refused({ bits: 8 }, /no tfjs save handler for "file:\/\/.*fileHandler\(dir\) from "@flatfit\/plugin-quantize-on-eval\/node"/, `file://${dir}`);
  const uncompiled = bnDropoutModel(3);
  const err = await t.throwsAsync(() => saveQuantized(uncompiled, fileHandler(dir), { bits: 8, data: { x, y } }));
  t.regex(err!.message, /"data".*not compiled/);
  t.false(fs.existsSync(dir));
  uncompiled.dispose();

  // the plugin's options and the standalone functions
  const bad = async (opts: Record<string, unknown>) => {
    const e = await t.throwsAsync(() => createFlatfit({ plugins: [{ use: "quantize-on-eval", ...opts }] }), { instanceOf: FlatfitConfigError });
    t.log(e!.message);
    return e!.message;
  };
  t.regex(await bad({ preset: "tfjs-converter", bits: [8, 4] }), /quantize-on-eval.*"bits\[1\]".*uint8 or uint16: a bit-width is 8 or 16 \(got 4\)/);
  t.regex(await bad({ preset: "tfjs-converter", granularity: "channel" }), /"granularity".*preset "tfjs-converter" fixes how weights are quantized.*leave "granularity" out/);
  t.regex(await bad({ preset: "tfjs-converter", foldBatchNorm: true }), /"foldBatchNorm".*leave "foldBatchNorm" out/);
  t.regex(await bad({ preset: "tfjs-converter", targets: "all" }), /"targets".*leave "targets" out/);
  t.regex(await bad({ preset: "tflite" }), /"preset".*expected "tfjs-converter"/);
  await t.throwsAsync(() => evaluateQuantized(model, x, y, { bits: 4, preset: "tfjs-converter" }), { message: /"bits".*8 or 16 \(got 4\)/ });
  t.throws(() => converterQuantize([1, 2], 4 as 8), { message: /bits must be 8 or 16/ });
  tf.dispose([x, y]);
  model.dispose();
});
