import test from "ava";
import { writeFileSync, readFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { buildCnn, buildMlp, createModel, disposeModel, loadModelDir, loadTrainConfig, runTraining, saveModelDir } from "@flatfit/cli";
import { cpuBackend, tempDir, writeConfig } from "./helpers";

const dir = tempDir("flatfit-models-");
const cnnSpec = { name: "cnn" as const, filters: [4, 8], kernelSize: 3, dense: 0, dropout: 0 };

test.before(cpuBackend);

test("the zoo: the same seed gives the same initial weights; the CNN has BatchNorm and takes 28×28×1 images", (t) => {
  const a = buildCnn(cnnSpec, [28, 28, 1], 10, 5);
  const b = buildCnn(cnnSpec, [28, 28, 1], 10, 5);
  const c = buildCnn(cnnSpec, [28, 28, 1], 10, 6);
  const w = (m: tf.LayersModel) => m.getWeights().map((v) => Array.from(v.dataSync()));
  t.deepEqual(w(a), w(b));
  t.notDeepEqual(w(a), w(c));
  t.true(a.layers.some((l) => l.getClassName() === "BatchNormalization"));
  t.deepEqual(a.outputs[0].shape, [null, 10]);
  const mlp = buildMlp({ name: "mlp", hidden: [8], activation: "relu", batchNorm: false, dropout: 0 }, [28, 28, 1], 3, 1);
  t.deepEqual(mlp.outputs[0].shape, [null, 3]);
  t.throws(() => buildCnn(cnnSpec, [784], 10, 1), { message: /needs image examples.*data\.layout: image/ });
  [a, b, c, mlp].forEach((m) => m.dispose());
});

test("a model saved as model.json + weights.bin loads back with the same weights and predictions, also when sharded", async (t) => {
  const model = buildCnn(cnnSpec, [28, 28, 1], 10, 2);
  const x = tf.randomUniform([3, 28, 28, 1], 0, 1, "float32", 4);
  const before = (model.predict(x) as tf.Tensor).dataSync();
  const saved = path.join(dir, "saved");
  await saveModelDir(model, saved);
  const back = await loadModelDir(saved);
  t.deepEqual(Array.from((back.predict(x) as tf.Tensor).dataSync()), Array.from(before));
  // tfjs-node writes weight shards (group1-shard1of2.bin, …): split ours in two and load again.
  const json = JSON.parse(readFileSync(path.join(saved, "model.json"), "utf8"));
  const bin = readFileSync(path.join(saved, "weights.bin"));
  const cut = 4 * 37;
  const sharded = path.join(dir, "sharded");
  mkdirSync(sharded);
  writeFileSync(path.join(sharded, "group1-shard1of2.bin"), bin.subarray(0, cut));
  writeFileSync(path.join(sharded, "group1-shard2of2.bin"), bin.subarray(cut));
  json.weightsManifest[0].paths = ["group1-shard1of2.bin", "group1-shard2of2.bin"];
  writeFileSync(path.join(sharded, "model.json"), JSON.stringify(json));
  const shardedModel = await loadModelDir(path.join(sharded, "model.json"));
  t.deepEqual(Array.from((shardedModel.predict(x) as tf.Tensor).dataSync()), Array.from(before));
  [model, back, shardedModel].forEach((m) => m.dispose());
});

test("model specs: a saved folder that does not fit the data, and a factory module, are handled with clear messages", async (t) => {
  await t.throwsAsync(createModel({ path: "saved" }, [784], 10, 1, dir), { message: /takes examples of shape \[28,28,1\], but the data's examples are \[784\] \(same size: try data\.layout/ });
  await t.throwsAsync(createModel({ path: "nowhere" }, [784], 10, 1, dir), { message: /no saved tfjs model at/ });
  writeFileSync(
    path.join(dir, "factory.js"),
    `const tf = require(${JSON.stringify(require.resolve("@tensorflow/tfjs"))});
exports.calls = [];
exports.build = (inputShape, classes, options) => {
  exports.calls.push({ inputShape, classes, options });
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape, units: classes, activation: "softmax" }));
  return m;
};`,
  );
  await t.throwsAsync(createModel({ module: "./factory.js", export: "default", options: {} }, [784], 10, 1, dir), { message: /has no function export "default" \(exports: calls, build\)/ });
  const config = writeConfig(dir, "module.yaml", "model: { module: ./factory.js, export: build, options: { width: 3 } }\ndata: { name: mnist, limit: 60, layout: flat }\nepochs: 1\nseed: 9\n");
  const { config: c, dir: base } = await loadTrainConfig(config);
  const run = await runTraining({ config: c, baseDir: base, label: "" });
  try {
    t.is(run.outcome.status, "completed");
    t.is(run.outcome.history.length, 1);
    t.true(Number.isFinite(run.outcome.evaluation![0].metrics.acc));
    t.deepEqual(require(path.join(dir, "factory.js")).calls, [{ inputShape: [784], classes: 10, options: { width: 3, seed: 9 } }]);
  } finally {
    disposeModel(run.model);
  }
});
