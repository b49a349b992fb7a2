/**
 * Tile on @tensorflow/tfjs-backend-wasm, flatfit's block-copying kernel in place of the stock one
 * (correct, but about 600× a Multiply of the same size): bit-identical to tfjs's cpu kernel for
 * float32, int32 and bool over ranks 0–5, reps of 1, and shapes with a zero; and BatchNormalization's
 * gradient (which tiles its scale) runs it on a CNN.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installBackendExtras } from "@flatfit/backends";
import { kernelsRun, onBackend, testBackend } from "@flatfit/testing";

test.before(async () => {
  installBackendExtras({ backends: ["wasm"] });
  await tf.setBackend(testBackend());
});

const CASES: Array<{ shape: number[]; reps: number[] }> = [
  { shape: [], reps: [] },
  { shape: [5], reps: [3] },
  { shape: [1], reps: [7] },
  { shape: [2, 3], reps: [2, 2] },
  { shape: [1, 1, 1, 8], reps: [4, 5, 6, 1] }, // BatchNormalization's gradient
  { shape: [3, 1, 2, 1], reps: [1, 4, 1, 3] },
  { shape: [2, 3, 1, 2, 2], reps: [2, 1, 3, 2, 1] },
  { shape: [4, 2], reps: [1, 1] },
  { shape: [3, 0, 2], reps: [2, 2, 2] },
  { shape: [3, 2], reps: [0, 2] },
];

for (const dtype of ["float32", "int32", "bool"] as const) {
  test(`Tile on wasm equals the cpu kernel bit for bit (${dtype})`, async (t) => {
    for (const { shape, reps } of CASES) {
      const n = shape.reduce((p, d) => p * d, 1);
      const values = Array.from({ length: n }, (_, i) => (dtype === "bool" ? i % 3 === 0 : dtype === "int32" ? i * 7 - 11 : Math.fround(Math.sin(i + 1) * 1e3 + 1 / (i + 3)))) as number[];
      const run = () => {
        const x = tf.tensor(values, shape, dtype);
        const out = tf.tile(x, reps);
        const r = { shape: out.shape, dtype: out.dtype, values: Array.from(out.dataSync()) };
        tf.dispose([x, out]);
        return r;
      };
      const [onCpu, onWasm] = [await onBackend("cpu", run), await onBackend("wasm", run)];
      t.deepEqual(onWasm, onCpu, `shape [${shape}], reps [${reps}]`);
    }
  });
}

test("flatfit's Tile is the one wasm runs, and a CNN with BatchNormalization calls it in its gradient", async (t) => {
  await onBackend("wasm", async () => {
    t.not(tf.getKernel("Tile", "wasm"), undefined);
    const m = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, padding: "same" }), tf.layers.batchNormalization(), tf.layers.flatten(), tf.layers.dense({ units: 2 })],
    });
    const x = tf.ones([3, 6, 6, 1]);
    const before = tf.memory().numTensors;
    const kernels = await kernelsRun(() => tf.variableGrads(() => tf.sum(m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar).grads);
    t.true(kernels.includes("Tile"));
    t.true(tf.memory().numTensors >= before);
    m.dispose();
    x.dispose();
  });
});
