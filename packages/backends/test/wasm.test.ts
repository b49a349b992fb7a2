/**
 * The extras on @tensorflow/tfjs-backend-wasm: Conv2DBackpropFilter (which wasm lacks) against the
 * float64 definition and against the cpu backend's stock kernel, and a CNN (conv-BN-conv-dense) that trains there.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installBackendExtras } from "@flatfit/backends";
import { onBackend, testBackend } from "@flatfit/testing";
import { CASES, filterGrad, inputsFor, maxError, referenceFilterGrad } from "./reference";

test.before(async () => {
  installBackendExtras({ backends: ["wasm"] }); // cpu keeps tfjs's stock kernel: a second implementation to compare with
  // importing the wasm backend made it tfjs's default; the suite runs on its own backend
  await tf.setBackend(testBackend());
});

test("Conv2DBackpropFilter on wasm gives the float64 definition's values to float32 rounding, and the cpu backend's", async (t) => {
  const inputs = CASES.map((c, k) => ({ c, ...inputsFor(c, k) }));
  const data = inputs.map(({ x, w, dy }) => ({ x: x.dataSync(), w: w.dataSync(), dy: dy.dataSync() }));
  const onCpu = await onBackend("cpu", () => inputs.map(({ c, x, w, dy }) => filterGrad(x, w, dy, c)));
  await onBackend("wasm", () => {
    inputs.forEach(({ c }, k) => {
      const [x, w, dy] = [tf.tensor4d(data[k].x, c.x), tf.tensor4d(data[k].w, c.f), tf.tensor(data[k].dy) as tf.Tensor];
      const got = filterGrad(x, w, dy.reshape(inputs[k].dy.shape) as tf.Tensor4D, c);
      const exact = referenceFilterGrad(data[k].x, data[k].dy, c);
      const e = maxError(got, exact);
      t.true(e.err <= 6e-8 * e.scale, `case ${k}: wasm off by ${e.err} (scale ${e.scale})`);
      const vsCpu = maxError(got, Float64Array.from(onCpu[k]));
      t.true(vsCpu.err <= 6e-8 * vsCpu.scale, `case ${k}: wasm and cpu differ by ${vsCpu.err}`);
      tf.dispose([x, w, dy]);
    });
  });
  tf.dispose(inputs.flatMap(({ x, w, dy }) => [x, w, dy]));
});

test("a dataFormat other than NHWC is a clear error on wasm", async (t) => {
  await onBackend("wasm", () => {
    const x = tf.ones([1, 2, 4, 4]);
    const dy = tf.ones([1, 3, 4, 4]);
    t.throws(() => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { strides: 1, pad: "same", dataFormat: "NCHW", filterShape: [3, 3, 2, 3] }), {
      message: '@flatfit/backends Conv2DBackpropFilter on "wasm": dataFormat "NCHW" is not supported (accepted: "NHWC")',
    });
    tf.dispose([x, dy]);
  });
});

/** conv8 → BN → relu → pool → conv16 → pool → dense10, seeded. */
function cnn(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: "same", inputShape: [12, 12, 1], kernelInitializer: init(1) }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.activation({ activation: "relu" }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: "same", activation: "relu", kernelInitializer: init(2) }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 4, activation: "softmax", kernelInitializer: init(3) }));
  return m;
}

/** Four classes told apart by which image quadrant is bright; seeded. */
function quadrants(n: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const labels = tf.randomUniform([n], 0, 4, "int32", 7);
    const noise = tf.randomUniform([n, 12, 12, 1], 0, 0.5, "float32", 8);
    const masks = tf.stack([0, 1, 2, 3].map((q) => tf.pad(tf.ones([6, 6, 1]), [[q < 2 ? 0 : 6, q < 2 ? 6 : 0], [q % 2 ? 6 : 0, q % 2 ? 0 : 6], [0, 0]])));
    const x = tf.add(noise, tf.gather(masks, labels)) as tf.Tensor4D;
    return { x, y: tf.oneHot(labels, 4).toFloat() as tf.Tensor2D };
  });
}

test("one CNN's gradient is the same on wasm and cpu; the CNN trains on wasm, with numTensors stable across fits", async (t) => {
  const { x, y } = quadrants(96);
  const [xv, yv] = [x.dataSync(), y.dataSync()];
  const gradsOn = (backend: string) =>
    onBackend(backend, () => {
      const m = cnn();
      const [xb, yb] = [tf.tensor4d(xv, x.shape), tf.tensor2d(yv, y.shape)];
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(yb, m.apply(xb, { training: true }) as tf.Tensor) as tf.Scalar);
      const out = m.trainableWeights.map((w) => Array.from(grads[(w.read() as tf.Variable).name]?.dataSync() ?? []));
      tf.dispose([xb, yb, ...Object.values(grads)]);
      m.dispose();
      return out;
    });
  const [g1, g2] = [await gradsOn("cpu"), await gradsOn("wasm")];
  t.is(g1.length, g2.length);
  g1.forEach((g, i) => {
    t.true(g.length > 0, `gradient ${i} present`);
    const e = maxError(g2[i], Float64Array.from(g));
    t.true(e.err <= 1e-4 * Math.max(e.scale, 1e-3), `weight ${i}: wasm and cpu gradients differ by ${e.err} (scale ${e.scale})`);
  });

  await onBackend("wasm", async () => {
    const [xb, yb] = [tf.tensor4d(xv, x.shape), tf.tensor2d(yv, y.shape)];
    const m = cnn();
    m.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const first = await m.fit(xb, yb, { epochs: 4, batchSize: 32, shuffle: false, verbose: 0 });
    const n = tf.memory().numTensors;
    const second = await m.fit(xb, yb, { epochs: 4, batchSize: 32, shuffle: false, verbose: 0 });
    t.is(tf.memory().numTensors, n, "no tensors left by a second fit");
    const loss = [...first.history.loss, ...second.history.loss] as number[];
    const acc = second.history.acc as number[];
    t.log(`wasm CNN loss ${loss.map((l) => l.toFixed(3)).join(" ")}, accuracy ${acc.at(-1)}`);
    t.true(loss.at(-1)! < 0.5 * loss[0], `loss fell from ${loss[0]} to ${loss.at(-1)}`);
    t.true(acc.at(-1)! > 0.9, `accuracy ${acc.at(-1)} on four separable classes`);
    m.dispose();
    tf.dispose([xb, yb]);
  });
  tf.dispose([x, y]);
});
