/** The models and data the benchmarks time: an MLP and a small CNN, batch 64, seeded. */
import * as tf from "@tensorflow/tfjs";

export interface Problem {
  name: string;
  build(): tf.Sequential;
  x: tf.Tensor;
  y: tf.Tensor;
  batchSize: number;
}

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

function labelsFor(x: tf.Tensor, classes: number): tf.Tensor2D {
  return tf.tidy(() => {
    const flat = x.reshape([x.shape[0], -1]);
    const w = tf.randomNormal([flat.shape[1] as number, classes], 0, 1, "float32", 5);
    return tf.oneHot(tf.argMax(tf.matMul(flat, w), 1), classes) as tf.Tensor2D;
  });
}

/** MLP 784 → 128 → 64 → 10 on 1,024 random 28×28 "images" (16 steps of 64). */
export function mlpProblem(): Problem {
  const x = tf.randomUniform([1024, 784], 0, 1, "float32", 1);
  return {
    name: "MLP 784-128-64-10",
    x,
    y: labelsFor(x, 10),
    batchSize: 64,
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 128, inputShape: [784], activation: "relu", kernelInitializer: init(1) }));
      m.add(tf.layers.dense({ units: 64, activation: "relu", kernelInitializer: init(2) }));
      m.add(tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init(3) }));
      return m;
    },
  };
}

/** Small CNN on 512 random 16×16×1 images: conv(8)+BN → pool → conv(16) → pool → dense(10). */
export function cnnProblem(): Problem {
  const x = tf.randomUniform([512, 16, 16, 1], 0, 1, "float32", 2);
  return {
    name: "CNN conv8-BN-conv16-10",
    x,
    y: labelsFor(x, 10),
    batchSize: 64,
    build: () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: "same", inputShape: [16, 16, 1], kernelInitializer: init(4) }));
      m.add(tf.layers.batchNormalization());
      m.add(tf.layers.activation({ activation: "relu" }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: init(5) }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init(6) }));
      return m;
    },
  };
}
