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
