import test from "ava";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadMnist, toTensors } from "@flatfit/data";
import type { EvalRow } from "@flatfit/core";
import { loadModelDir, loadRunData } from "@flatfit/cli";
import { cpuBackend, runBin, tempDir, writeConfig } from "./helpers";

const dir = tempDir("flatfit-train-");
const out = path.join(dir, "run");
const TRAIN = 200;
const TEST = 100;
const NOISE = 0.4;
const read = (f: string) => JSON.parse(readFileSync(path.join(out, f), "utf8"));

let result: Awaited<ReturnType<typeof runBin>>;

test.before(async () => {
  await cpuBackend();
  const config = writeConfig(
    dir,
    "run.yaml",
    `
model: { name: mlp, hidden: [32] }
data: { name: mnist, trainLimit: ${TRAIN}, testLimit: ${TEST}, labelNoise: ${NOISE} }
optimizer: { name: momentum, learningRate: 0.05 }
plugins: [{ use: hero, gamma: 0.1 }]
epochs: 2
batchSize: 25
seed: 3
evaluate: { bits: [8, 4] }
`,
  );
  result = await runBin(["train", "--config", config, "--out", out, "--quiet"]);
});

test("train exits 0 and prints one plain line per epoch when stdout is not a terminal", (t) => {
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^epoch 1\/2 {2}loss [\d.]+ {2}acc [\d.]+ {2}val_loss [\d.]+ {2}val_acc [\d.]+ {2}[\d.]+ s$/m);
  t.regex(result.stdout, /^epoch 2\/2 /m);
  t.notRegex(result.stdout, /\u001b\[/, "no terminal control sequences");
  t.regex(result.stdout, new RegExp(`run directory: ${out.replace(/[/.]/g, "\\$&")}`));
});

test("the run directory holds the resolved config, history (JSON and CSV), evaluation, model and summary", (t) => {
  for (const f of ["config.resolved.json", "history.json", "history.csv", "evaluation.json", "summary.json", "label-noise.json", "model/model.json", "model/weights.bin", "checkpoint/model.json"]) {
    t.true(existsSync(path.join(out, f)), f);
  }
  const config = read("config.resolved.json");
  t.deepEqual(config.optimizer, { name: "momentum", learningRate: 0.05, momentum: 0.9 });
  t.deepEqual(config.plugins, [{ use: "hero", h: 0.5, gamma: 0.1, scaling: "elementwise" }], "every plugin default filled in");
  const summary = read("summary.json");
  t.is(summary.status, "completed");
  t.deepEqual(summary.epochs, { planned: 2, completed: 2 });
  t.deepEqual(summary.plugins, ["hero"]);
});

test("history.json has one record per epoch, and history.csv holds the same numbers", (t) => {
  const history = read("history.json") as Array<Record<string, number>>;
  t.deepEqual(history.map((h) => h.epoch), [1, 2]);
  for (const h of history) for (const k of ["seconds", "loss", "acc", "val_loss", "val_acc"]) t.true(Number.isFinite(h[k]), k);
  const [header, ...rows] = readFileSync(path.join(out, "history.csv"), "utf8").trim().split("\n");
  const cols = header.split(",");
  t.deepEqual(cols.slice(0, 6), ["epoch", "seconds", "loss", "acc", "val_loss", "val_acc"]);
  t.is(rows.length, 2);
  rows.forEach((row, i) => cols.forEach((c, j) => t.is(Number(row.split(",")[j]), history[i][c], `${c} of epoch ${i + 1}`)));
  t.is(read("summary.json").final.val_acc, history[1].val_acc);
});

test("label noise: exactly round(ratio·n) training labels were redrawn, and the changed ones are the ones that differ", (t) => {
  const noise = read("label-noise.json");
  t.is(noise.n, TRAIN);
  t.is(noise.resampled, Math.round(NOISE * TRAIN));
  const clean = loadMnist({ split: "train", limit: TRAIN }).labels;
  t.deepEqual(noise.cleanLabels, Array.from(clean));
  const differing = (noise.noisyLabels as number[]).filter((l, i) => l !== clean[i]).length;
  t.is(differing, noise.changed);
  // Each redrawn label stays the same with probability 1/10: changed ~ Binomial(80, 0.9), mean 72, sd 2.7.
  t.true(noise.changed <= noise.resampled && noise.changed >= 60, `changed ${noise.changed}`);
  t.deepEqual(read("summary.json").data.labelNoise, { ratio: NOISE, n: TRAIN, resampled: noise.resampled, changed: noise.changed, seed: 3 });
});

test("label noise applies to the training labels only: validation and test labels stay clean", (t) => {
  const spec = { name: "mnist" as const, trainLimit: 400, testLimit: 50, layout: "flat" as const, labelNoise: 0.5 };
  const d = loadRunData(spec, dir, 7, 0.25);
  const clean = loadMnist({ split: "train", limit: 400, layout: "flat" }).labels;
  t.is(d.info.train, 300);
  t.is(d.info.labelNoise!.resampled, 150);
  t.deepEqual(Array.from(d.validation!.labels), Array.from(clean.slice(300)));
  t.deepEqual(Array.from(d.test.labels), Array.from(loadMnist({ split: "test", limit: 50 }).labels));
  t.is(Array.from(d.train.labels).filter((l, i) => l !== clean[i]).length, d.info.labelNoise!.changed);
});

test("the saved model loads back and gives the evaluation.json numbers on the same test data", async (t) => {
  const model = await loadModelDir(path.join(out, "model"));
  model.compile({ optimizer: "sgd", loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const { x, y } = toTensors(loadMnist({ split: "test", limit: TEST }));
  const [loss, acc] = (model.evaluate(x, y, { batchSize: 256 }) as tf.Scalar[]).map((s) => s.dataSync()[0]);
  const rows = read("evaluation.json") as EvalRow[];
  t.deepEqual(rows.map((r) => r.variant), ["float32", "8bit", "4bit"]);
  t.true(Math.abs(loss - rows[0].loss) <= 1e-6 * Math.abs(rows[0].loss), `loss ${loss} vs ${rows[0].loss}`);
  // the same predictions right: the run evaluated on its backend (wasm by default), this process on
  // cpu, and the two round the float32 mean of 0/1 matches differently
  t.is(Math.round(acc * TEST), Math.round(rows[0].metrics.acc * TEST));
  tf.dispose([x, y]);
  model.dispose();
});

test("CSV data: rows shuffled with a fixed seed, the tail is the test split, features standardized on the training split", (t) => {
  const lines = ["width,height,species"];
  const r = (i: number) => ((i * 7919) % 101) / 101;
  for (let i = 0; i < 100; i++) lines.push(`${(10 + 5 * r(i)).toFixed(3)},${(2 * r(i + 13)).toFixed(3)},${["setosa", "versicolor", "virginica"][i % 3]}`);
  const file = path.join(dir, "table.csv");
  writeFileSync(file, lines.join("\n") + "\n");
  const spec = { csv: "table.csv", label: "species", header: true, delimiter: ",", testFraction: 0.25, splitSeed: 0, standardize: true, labelNoise: 0 };
  const d = loadRunData(spec, dir, 1);
  t.is(d.info.train, 75);
  t.is(d.info.test, 25);
  t.deepEqual(d.train.shape, [2]);
  t.is(d.train.classes, 3);
  t.deepEqual(d.train.classNames, ["setosa", "versicolor", "virginica"]);
  for (let j = 0; j < 2; j++) {
    const col = Array.from({ length: 75 }, (_, i) => d.train.features[2 * i + j]);
    const mean = col.reduce((a, b) => a + b, 0) / 75;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / 75);
    t.true(Math.abs(mean) < 1e-5 && Math.abs(sd - 1) < 1e-5, `column ${j}: mean ${mean}, sd ${sd}`);
  }
  const counts = [0, 0, 0];
  for (const l of [...d.train.labels, ...d.test.labels]) counts[l]++;
  t.deepEqual(counts, [34, 33, 33]);
  t.deepEqual(Array.from(loadRunData(spec, dir, 2).test.labels), Array.from(d.test.labels), "the split does not depend on the run's seed");
});
