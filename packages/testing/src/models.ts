/** Small deterministic data sets and models for tests. */
import * as tf from "@tensorflow/tfjs";
import { gaussian, prng } from "./prng";

/** `classes` Gaussian blobs in `features` dimensions: x [n, features], one-hot y [n, classes]. */
export function blobs(n = 96, features = 4, classes = 3, seed = 3, spread = 1): { x: tf.Tensor2D; y: tf.Tensor2D; labels: number[] } {
  const rand = prng(seed);
  const g = gaussian(rand);
  const centers = Array.from({ length: classes }, () => Array.from({ length: features }, () => 2.5 * g()));
  const labels = Array.from({ length: n }, (_, i) => i % classes);
  const rows = labels.map((c) => centers[c].map((m) => m + spread * g()));
  return { x: tf.tensor2d(rows), y: tf.oneHot(tf.tensor1d(labels, "int32"), classes) as tf.Tensor2D, labels };
}

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

/** Dense → BatchNormalization → ReLU → Dropout → Dense(softmax), seeded initializers. */
export function bnDropoutModel(seed = 1, features = 4, classes = 3, hidden = 16): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: hidden, inputShape: [features], kernelInitializer: init(seed) }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.activation({ activation: "relu" }));
  m.add(tf.layers.dropout({ rate: 0.2 }));
  m.add(tf.layers.dense({ units: classes, activation: "softmax", kernelInitializer: init(seed + 1) }));
  return m;
}

/** A plain MLP (no BatchNorm, no Dropout), seeded initializers. */
export function mlp(seed = 1, features = 4, classes = 3, hidden = 16): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: hidden, inputShape: [features], activation: "tanh", kernelInitializer: init(seed) }));
  m.add(tf.layers.dense({ units: classes, activation: "softmax", kernelInitializer: init(seed + 1) }));
  return m;
}

/** Moving statistics of every BatchNormalization layer, as arrays. */
export function batchNormStats(model: tf.LayersModel): number[][] {
  return model.layers
    .filter((l) => l.getClassName() === "BatchNormalization")
    .flatMap((l) => l.getWeights().slice(2).map((w) => Array.from(w.dataSync())));
}

/** All weights of a model, as arrays (trainable and not). */
export function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

/**
 * A ReLU network with a unit sitting exactly on its kink, and its Hessian trace known: one hidden
 * ReLU unit with pre-activation z = x·w + c = 0 (x = 1, w = 1, c = −1), then softmax over 3
 * classes. A Rademacher probe moves z by ε(v_w + v_c): by ±2ε (the unit switches on, on one side
 * only) or by 0 (it stays off), each with probability ½. With the unit off only the output bias
 * moves the loss, so the (almost-everywhere) trace is Σ p_k(1 − p_k), p = softmax(b).
 */
export function reluKinkProblem(n = 32, seed = 2): { model: tf.Sequential; x: tf.Tensor2D; y: tf.Tensor2D; trace: number } {
  const rand = prng(seed);
  const labels = Array.from({ length: n }, () => Math.floor(rand() * 3));
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [1], units: 1, activation: "relu" }), tf.layers.dense({ units: 3, activation: "softmax" })],
  });
  const b = [0.3, -0.2, 0.5];
  tf.tidy(() => model.setWeights([tf.tensor2d([[1]]), tf.tensor1d([-1]), tf.tensor2d([[0.7, -1.1, 0.4]]), tf.tensor1d(b)]));
  model.compile({ optimizer: "sgd", loss: "categoricalCrossentropy" });
  const e = b.map(Math.exp);
  const p = e.map((v) => v / e.reduce((s, q) => s + q, 0));
  const trace = p.reduce((s, pk) => s + pk * (1 - pk), 0);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), 3) as tf.Tensor2D);
  return { model, x: tf.ones([n, 1]), y, trace };
}
