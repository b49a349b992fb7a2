/**
 * `flatfit quantize`: a trained model saved quantized in tfjs's weights format (issue 13, item 5).
 * The saved folder is read back with plain `tf.loadLayersModel` (an inline IOHandler over the files,
 * no flatfit code): its weights equal the simulated preset "tfjs-converter" bit for bit, and its
 * accuracy equals the simulated accuracy the command reports and the train run's own `8bit` row.
 */
import test from "ava";
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { evaluateModel, type EvalRow } from "@flatfit/core";
import { toTensors } from "@flatfit/data";
import { withQuantizedWeights } from "@flatfit/plugin-quantize-on-eval";
import { loadRunData, loadTrainConfig, quantizeModel, type QuantizeReport } from "@flatfit/cli";
import { cpuBackend, runBin, tempDir, writeConfig, type Finished } from "./helpers";

const dir = tempDir("flatfit-quantize-");
const run = path.join(dir, "run");
const u8 = path.join(run, "model-uint8");
let trained: Finished;
let cli: Finished;

test.before(async () => {
  await cpuBackend();
  // an MLP with BatchNorm: the converter quantizes every float32 weight, moving statistics included
  const config = writeConfig(
    dir,
    "run.yaml",
    `
model: { name: mlp, hidden: [16], batchNorm: true }
data: { name: mnist, trainLimit: 200, testLimit: 100 }
epochs: 1
batchSize: 50
seed: 2
backend: cpu
evaluate: { preset: tfjs-converter }
`,
  );
  trained = await runBin(["train", "--config", config, "--out", run, "--quiet"]);
  cli = await runBin(["quantize", "--model", run, "--bits", "8"]);
});

/** The folder's model.json and weights as plain tfjs reads them: an IOHandler over the files, then tf.loadLayersModel. */
async function plainLoad(folder: string): Promise<{ model: tf.LayersModel; json: tf.io.ModelJSON }> {
  const json = JSON.parse(readFileSync(path.join(folder, "model.json"), "utf8")) as tf.io.ModelJSON;
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(path.join(folder, p))).slice().buffer));
  const handler: tf.io.IOHandler = {
    load: async () => ({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: tf.io.concatenateArrayBuffers(buffers) }),
  };
  return { model: await tf.loadLayersModel(handler), json };
}

/** Every weight's float32 bits. */
const bitsOf = (model: tf.LayersModel): Uint32Array[] => model.weights.map((w) => new Uint32Array(new Float32Array(w.read().dataSync()).buffer));

/** The float model's weights with the preset applied (the simulated variant), as bits. */
async function simulatedBits(float: tf.LayersModel, bits: 8 | 16): Promise<Uint32Array[]> {
  return withQuantizedWeights(float, { bits, preset: "tfjs-converter" }, () => bitsOf(float));
}

async function testData(config: string) {
  const loaded = await loadTrainConfig(config);
  const c = loaded.config;
  const data = loadRunData(c.data, loaded.dir, c.seed, c.validationSplit);
  return toTensors(data.test);
}

const read = (f: string) => JSON.parse(readFileSync(f, "utf8"));

test("train and quantize exit 0; quantize prints the sizes and the accuracy of float32, the simulated variant and the saved file", (t) => {
  t.is(trained.code, 0, trained.stderr);
  t.is(cli.code, 0, cli.stderr);
  const out = cli.stdout;
  t.regex(out, /flatfit quantize .*model → .*model-uint8: uint8, preset tfjs-converter/);
  t.regex(out, /^file +float32 +uint8 +ratio$/m);
  t.regex(out, /^weights +[\d.]+ kB +[\d.]+ kB +0\.25\d$/m);
  t.regex(out, /^total +[\d.]+ kB +[\d.]+ kB +0\.\d+$/m);
  t.regex(out, /^float32 +[\d.]+ +[\d.]+$/m);
  t.regex(out, /^8bit \(simulated, preset tfjs-converter\) +[\d.]+ +[\d.]+$/m);
  t.regex(out, /^8bit-saved \(the saved file, read by tf.loadLayersModel\) +[\d.]+ +[\d.]+$/m);
  t.regex(out, /the saved file evaluates exactly as the simulated variant/);
  t.deepEqual(readdirSync(u8).sort(), ["model.json", "quantization.json", "weights.bin"]);
});

test("quantization.json: file sizes as on disk, and the saved file's loss and accuracy equal the simulated variant's and the train run's 8bit row", (t) => {
  const r = read(path.join(u8, "quantization.json")) as QuantizeReport;
  t.is(r.bits, 8);
  t.is(r.dtype, "uint8");
  t.is(r.sizes.quantized.weights, statSync(path.join(u8, "weights.bin")).size);
  t.is(r.sizes.quantized.modelJson, statSync(path.join(u8, "model.json")).size);
  t.is(r.sizes.float32.weights, statSync(path.join(run, "model", "weights.bin")).size);
  t.is(r.sizes.quantized.weights * 4, r.sizes.float32.weights, "1 byte per float32 weight");
  t.is(r.kept.length, 0);
  const { float32, simulated, saved } = r.evaluation!;
  t.is(saved.variant, "8bit-saved");
  t.is(saved.metrics.acc, simulated.metrics.acc);
  t.is(saved.loss, simulated.loss);
  const rows = read(path.join(run, "evaluation.json")) as EvalRow[];
  const row = (v: string) => rows.find((x) => x.variant === v)!;
  t.is(simulated.metrics.acc, row("8bit").metrics.acc, "the train run's simulated 8bit row");
  t.is(simulated.loss, row("8bit").loss);
  t.is(float32.metrics.acc, row("float32").metrics.acc);
});

test("plain tf.loadLayersModel reads the saved folder: uint8 codes in the manifest, weights equal to the simulated preset bit for bit, its accuracy the reported one", async (t) => {
  const { model, json } = await plainLoad(u8);
  const { model: float } = await plainLoad(path.join(run, "model"));
  const data = await testData(path.join(run, "config.resolved.json"));
  try {
    const specs = json.weightsManifest.flatMap((g) => g.weights);
    t.true(specs.length > 0 && specs.every((s) => s.quantization?.dtype === "uint8"), "every weight stored as uint8");
    t.true(specs.some((s) => s.name.includes("moving_variance")), "BatchNorm statistics too");
    const saved = bitsOf(model);
    const simulated = await simulatedBits(float, 8);
    t.is(saved.length, simulated.length);
    saved.forEach((w, i) => t.deepEqual(w, simulated[i], model.weights[i].name));
    t.notDeepEqual(saved, bitsOf(float), "quantized, not the float weights");
    model.compile({ optimizer: "sgd", loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const r = await evaluateModel(model, data.x, data.y, 256);
    const report = read(path.join(u8, "quantization.json")) as QuantizeReport;
    t.is(r.metrics.acc, report.evaluation!.simulated.metrics.acc);
    t.is(r.metrics.acc, report.evaluation!.saved.metrics.acc);
  } finally {
    model.dispose();
    float.dispose();
    tf.dispose([data.x, data.y]);
  }
});

test("the library call (16 bits, a model folder and a config): no tensor left behind, 2 bytes per weight, bit for bit; a rerun replaces its own folder", async (t) => {
  const out = path.join(dir, "model-u16");
  const before = tf.memory().numTensors;
  const r = await quantizeModel({ model: path.join(run, "model"), bits: 16, out, config: path.join(dir, "run.yaml") });
  t.is(tf.memory().numTensors, before, "no tensor leaked");
  t.is(r.dtype, "uint16");
  t.is(r.sizes.quantized.weights * 2, r.sizes.float32.weights);
  t.is(r.evaluation!.saved.metrics.acc, r.evaluation!.simulated.metrics.acc);
  t.is(r.evaluation!.saved.loss, r.evaluation!.simulated.loss);
  const { model, json } = await plainLoad(out);
  const { model: float } = await plainLoad(path.join(run, "model"));
  try {
    t.true(json.weightsManifest.flatMap((g) => g.weights).every((s) => s.quantization?.dtype === "uint16"));
    const simulated = await simulatedBits(float, 16);
    bitsOf(model).forEach((w, i) => t.deepEqual(w, simulated[i], model.weights[i].name));
  } finally {
    model.dispose();
    float.dispose();
  }
  const again = await quantizeModel({ model: path.join(run, "model"), bits: 16, out });
  t.is(again.evaluation, undefined, "no config, no test data: sizes only");
  t.is(tf.memory().numTensors, before);
});

test("a model.json without --config: sizes only, written to <model dir>-uint8 beside the model folder", async (t) => {
  const own = path.join(dir, "own", "float");
  cpSync(path.join(run, "model"), own, { recursive: true });
  const r = await runBin(["quantize", "--model", path.join(own, "model.json"), "--bits", "8"]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /accuracy: no test data — give --config/);
  t.regex(r.stdout, /^weights +[\d.]+ kB +[\d.]+ kB +0\.25\d$/m);
  t.deepEqual(readdirSync(path.join(dir, "own")).sort(), ["float", "float-uint8"]);
  t.is(read(path.join(dir, "own", "float-uint8", "quantization.json")).evaluation, undefined);
});

const notQuantized = path.join(dir, "not-written");

const bad: Array<[string, () => string[], RegExp]> = [
  ["--bits 4", () => ["--model", run, "--bits", "4", "--out", notQuantized], /quantize: --bits must be 8 or 16 .*; got "4"/],
  ["no --bits", () => ["--model", run, "--out", notQuantized], /quantize: give --bits 8 or 16/],
  ["--preset other", () => ["--model", run, "--bits", "8", "--preset", "symmetric", "--out", notQuantized], /quantize: --preset accepts tfjs-converter .*; got "symmetric"/],
  ["no --model", () => ["--bits", "8", "--out", notQuantized], /quantize: give the model to quantize: --model/],
  ["--model missing", () => ["--model", path.join(dir, "nope"), "--bits", "8", "--out", notQuantized], /quantize: --model .*nope: no such file or folder/],
  ["--model not a model", () => ["--model", dir, "--bits", "8", "--out", notQuantized], /quantize: --model .*: expected a run directory of flatfit train .* a folder with model.json, or a model.json file/],
  ["--model already quantized", () => ["--model", u8, "--bits", "8", "--out", notQuantized], /quantize: --model .*model-uint8 is already quantized \(\d+ weights stored as uint8, by @flatfit\/plugin-quantize-on-eval/],
  ["--out the model's folder", () => ["--model", path.join(run, "model"), "--bits", "8", "--out", path.join(run, "model")], /quantize: --out .* is the folder of the model it reads/],
  ["--out a folder of other files", () => ["--model", run, "--bits", "8", "--out", dir], /quantize: --out .* exists and holds files that flatfit quantize did not write/],
  ["--config data of another shape", () => ["--model", run, "--bits", "8", "--out", notQuantized, "--config", path.join(dir, "flat.yaml")], /quantize: the model at .* takes examples of shape \[28,28,1\], but the data's examples are \[784\].*\(the test data of --config .*flat.yaml\)/],
  ["--config invalid", () => ["--model", run, "--bits", "8", "--out", notQuantized, "--config", path.join(dir, "bad.yaml")], /bad.yaml:2:\d+: data.testLimit/],
];

for (const [name, args, message] of bad) {
  test(`bad input, exit 2 and nothing written: ${name}`, async (t) => {
    writeConfig(dir, "flat.yaml", "model: mlp\ndata: { name: mnist, trainLimit: 50, testLimit: 20, layout: flat }\nbackend: cpu\n");
    writeConfig(dir, "bad.yaml", "model: mlp\ndata: { name: mnist, testLimit: -3 }\n");
    const listing = () => readdirSync(dir).sort().join(",") + "|" + readdirSync(run).sort().join(",") + "|" + readdirSync(u8).sort().join(",");
    const before = listing();
    const stamp = statSync(path.join(u8, "weights.bin")).mtimeMs;
    const r = await runBin(["quantize", ...args()]);
    t.is(r.code, 2, `${r.stdout}\n${r.stderr}`);
    t.regex(r.stderr, message);
    t.false(existsSync(notQuantized), "no output folder");
    t.is(listing(), before, "no file added anywhere");
    t.is(statSync(path.join(u8, "weights.bin")).mtimeMs, stamp, "the quantized folder untouched");
  });
}

