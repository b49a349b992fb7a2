/**
 * The built-in models, with seeded initializers (the same seed gives the same initial weights,
 * so that every method in a comparison starts from the same point):
 *   mlp: [Flatten] → Dense(h) [→ BatchNorm] → activation [→ Dropout] … → Dense(classes, softmax)
 *   cnn: for each f in filters: Conv2D(f, k, stride 2) → BatchNorm → ReLU; Flatten [→ Dense] → Dense(classes, softmax)
 * The CNN downsamples with strided convolutions (no pooling): on tfjs's pure-JS cpu backend this
 * trains about 2.5× faster than conv → max-pool blocks of the same width.
 */
import * as tf from "@tensorflow/tfjs";
import type { CnnSpec, MlpSpec, ZooSpec } from "./config/schema";

function seeds(seed: number): () => number {
  let k = 0;
  return () => (seed * 1000 + ++k) >>> 0;
}

export function buildMlp(spec: MlpSpec, inputShape: number[], classes: number, seed: number): tf.Sequential {
  const next = seeds(seed);
  const model = tf.sequential({ name: "mlp" });
  if (inputShape.length > 1) model.add(tf.layers.flatten({ inputShape }));
  spec.hidden.forEach((units, i) => {
    const first = i === 0 && inputShape.length === 1 ? { inputShape } : {};
    model.add(tf.layers.dense({ ...first, units, kernelInitializer: tf.initializers.heNormal({ seed: next() }) }));
    if (spec.batchNorm) model.add(tf.layers.batchNormalization());
    model.add(tf.layers.activation({ activation: spec.activation }));
    // no layer seed: a seeded tfjs Dropout draws the same mask on every call; masks come from
    // Math.random, which a run seeds
    if (spec.dropout > 0) model.add(tf.layers.dropout({ rate: spec.dropout }));
  });
  const first = spec.hidden.length === 0 && inputShape.length === 1 ? { inputShape } : {};
  model.add(tf.layers.dense({ ...first, units: classes, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: next() }) }));
  return model;
}

export function buildCnn(spec: CnnSpec, inputShape: number[], classes: number, seed: number): tf.Sequential {
  if (inputShape.length !== 3) {
    throw new Error(`model "cnn" needs image examples [height, width, channels], got [${inputShape}] (for MNIST set data.layout: image)`);
  }
  const next = seeds(seed);
  const model = tf.sequential({ name: "cnn" });
  spec.filters.forEach((filters, i) => {
    model.add(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape } : {}),
        filters,
        kernelSize: spec.kernelSize,
        strides: 2,
        padding: "same",
        useBias: false,
        kernelInitializer: tf.initializers.heNormal({ seed: next() }),
      }),
    );
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.activation({ activation: "relu" }));
  });
  model.add(tf.layers.flatten());
  if (spec.dense > 0) {
    model.add(tf.layers.dense({ units: spec.dense, activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: next() }) }));
  }
  if (spec.dropout > 0) model.add(tf.layers.dropout({ rate: spec.dropout }));
  model.add(tf.layers.dense({ units: classes, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: next() }) }));
  return model;
}

/** A built-in model for examples of `inputShape` and `classes` classes. */
export function buildZooModel(spec: ZooSpec, inputShape: number[], classes: number, seed: number): tf.Sequential {
  return spec.name === "cnn" ? buildCnn(spec, inputShape, classes, seed) : buildMlp(spec, inputShape, classes, seed);
}

/** One line describing a built-in model, for reports. */
export function describeZoo(spec: ZooSpec): string {
  if (spec.name === "cnn") {
    return `cnn: ${spec.filters.map((f) => `conv${spec.kernelSize}×${spec.kernelSize}(${f}, stride 2)+BN+ReLU`).join(" → ")}${spec.dense ? ` → dense(${spec.dense})` : ""} → softmax`;
  }
  return `mlp: ${spec.hidden.map((h) => `dense(${h})${spec.batchNorm ? "+BN" : ""}+${spec.activation}`).join(" → ") || "linear"} → softmax`;
}
