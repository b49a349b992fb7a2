import test from "ava";
import * as tf from "@tensorflow/tfjs";
import {
  modelHessianMaxEigenvalue,
  modelHessianTrace,
  modelLoss,
  modelLossLandscape,
  modelVariables,
  hessianTrace,
} from "@flatfit/metrics";
import { batchNormStats, blobs, bnDropoutModel, LogisticProblem, symmetricEigenvalues } from "@flatfit/testing";

const allBytes = (m: tf.LayersModel) => m.getWeights().map((w) => Buffer.from(new Uint8Array(w.dataSync().buffer.slice(0))));

/** A Dense(1, sigmoid) model without bias on the logistic problem's data, with the problem's weights. */
function logisticModel(p: LogisticProblem, functional = false): tf.LayersModel {
  let m: tf.LayersModel;
  if (functional) {
    const input = tf.input({ shape: [p.d] });
    const out = tf.layers.dense({ units: 1, activation: "sigmoid", useBias: false }).apply(input) as tf.SymbolicTensor;
    m = tf.model({ inputs: input, outputs: out });
  } else {
    m = tf.sequential({ layers: [tf.layers.dense({ units: 1, activation: "sigmoid", useBias: false, inputShape: [p.d] })] });
  }
  m.compile({ optimizer: tf.train.sgd(0.1), loss: "binaryCrossentropy" });
  m.setWeights([p.w]);
  return m;
}

test("model conveniences on logistic regression (Sequential and functional): λmax and trace match the analytic Hessian", async (t) => {
  const p = new LogisticProblem(64, 5, 7);
  const eig = symmetricEigenvalues(p.hessian());
  for (const functional of [false, true]) {
    const m = logisticModel(p, functional);
    const before = allBytes(m);
    const top = await modelHessianMaxEigenvalue(m, p.xT, p.yT, { iterations: 200, tolerance: 1e-5, seed: 2 });
    const rel = Math.abs(top.value - eig[0]) / eig[0];
    t.log(`${functional ? "functional" : "sequential"}: λmax ${top.value.toFixed(6)} vs ${eig[0].toFixed(6)} (rel ${rel.toExponential(2)})`);
    t.true(rel <= 1e-3);
    const tr = await modelHessianTrace(m, p.xT, p.yT, { samples: 200, seed: 4 });
    t.log(`trace ${tr.value.toFixed(5)} ± ${tr.stdError.toFixed(5)} vs ${p.trace().toFixed(5)}`);
    t.true(Math.abs(tr.value - p.trace()) <= 3 * tr.stdError);
    t.deepEqual(allBytes(m), before, "weights bit-identical");
    m.dispose();
  }
  p.dispose();
});

test("batched objective: gradients accumulated over batches give the same Hessian figures as one full batch", async (t) => {
  const p = new LogisticProblem(64, 5, 7);
  const m = logisticModel(p);
  const full = await modelHessianTrace(m, p.xT, p.yT, { samples: 6, seed: 3 });
  const batched = await modelHessianTrace(m, p.xT, p.yT, { samples: 6, seed: 3, batchSize: 24 });
  t.log(`full ${full.value} vs batched ${batched.value}`);
  t.true(Math.abs(full.value - batched.value) <= 1e-4 * Math.abs(full.value));
  const lf = modelLoss(m, p.xT, p.yT)();
  const lb = modelLoss(m, p.xT, p.yT, { batchSize: 10 })();
  t.true(Math.abs(lf.dataSync()[0] - lb.dataSync()[0]) <= 1e-6);
  tf.dispose([lf, lb]);
  m.dispose();
  p.dispose();
});

test("modelLoss is the compiled loss in inference mode: equals model.evaluate; BatchNorm statistics and weights stay bit-identical", async (t) => {
  const { x, y } = blobs(60);
  const m = bnDropoutModel(3);
  m.compile({ optimizer: tf.train.sgd(0.05), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  await m.fit(x, y, { epochs: 2, batchSize: 20, verbose: 0 });
  const statsBefore = batchNormStats(m);
  const before = allBytes(m);
  const evaluated = (m.evaluate(x, y, { batchSize: 16 }) as tf.Scalar[])[0];
  const loss = modelLoss(m, x, y, { batchSize: 16 })();
  t.log(`modelLoss ${loss.dataSync()[0]} vs evaluate ${evaluated.dataSync()[0]}`);
  t.true(Math.abs(loss.dataSync()[0] - evaluated.dataSync()[0]) <= 1e-6);
  const sub = modelLoss(m, x, y, { maxSamples: 25 })();
  const xs = x.slice(0, 25);
  const ys = y.slice(0, 25);
  const evSub = (m.evaluate(xs, ys) as tf.Scalar[])[0];
  t.true(Math.abs(sub.dataSync()[0] - evSub.dataSync()[0]) <= 1e-6, "maxSamples uses the first samples");

  const n0 = tf.memory().numTensors;
  const tr = await modelHessianTrace(m, x, y, { samples: 4, seed: 1, batchSize: 32 });
  const top = await modelHessianMaxEigenvalue(m, x, y, { iterations: 10, seed: 1 });
  const land = await modelLossLandscape(m, x, y, { steps: 3, range: 0.5, seed: 1 });
  t.is(tf.memory().numTensors, n0, "no leaked tensors");
  t.true(Number.isFinite(tr.value) && Number.isFinite(top.value));
  t.true(Math.abs(land.values[0][1] - loss.dataSync()[0]) <= 1e-6, "landscape centre is the model's loss");
  t.deepEqual(batchNormStats(m), statsBefore, "BatchNorm moving statistics unchanged");
  t.deepEqual(allBytes(m), before, "all weights bit-identical");
  tf.dispose([x, y, evaluated, loss, sub, xs, ys, evSub]);
  m.dispose();
});

test("a closure calling the model in TRAINING mode still leaves BatchNorm statistics bit-identical (guarded)", async (t) => {
  const { x, y } = blobs(30);
  const m = bnDropoutModel(5);
  m.compile({ optimizer: tf.train.sgd(0.05), loss: "categoricalCrossentropy" });
  const before = allBytes(m);
  const loss = () =>
    tf.tidy(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
  await hessianTrace(loss, modelVariables(m), { samples: 2, seed: 1 });
  t.deepEqual(allBytes(m), before);
  tf.dispose([x, y]);
  m.dispose();
});

test("a Conv2D → BatchNorm → Dropout functional model: figures are finite and weights bit-identical", async (t) => {
  const input = tf.input({ shape: [6, 6, 1] });
  let h = tf.layers.conv2d({ filters: 3, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: "relu" }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.3 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: out });
  m.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  const x = tf.randomNormal([12, 6, 6, 1], 0, 1, "float32", 3);
  const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0], "int32"), 2);
  const before = allBytes(m);
  const tr = await modelHessianTrace(m, x, y, { samples: 3, seed: 2, batchSize: 5 });
  const top = await modelHessianMaxEigenvalue(m, x, y, { iterations: 15, seed: 2 });
  t.log(`conv model: trace ${tr.value} ± ${tr.stdError}, λmax ${top.value}`);
  t.true(Number.isFinite(tr.value) && Number.isFinite(top.value) && top.value !== 0);
  t.deepEqual(allBytes(m), before);
  tf.dispose([x, y]);
  m.dispose();
});

test("an uncompiled model is a clear error", (t) => {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
  const x = tf.zeros([2, 2]);
  t.throws(() => modelLoss(m, x, x), { message: /no compiled loss/ });
  tf.dispose(x);
  m.dispose();
});
