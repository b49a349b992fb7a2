import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { RandomSource } from "@flatfit/core";
import { filterNormalize, filterNormalizedDirection, lossLandscape } from "@flatfit/metrics";
import { QuadraticProblem } from "@flatfit/testing";

const bytes = (vars: tf.Variable[]) => vars.map((v) => Buffer.from(new Uint8Array(v.dataSync().buffer.slice(0))));
const flat = (q: QuadraticProblem, d: tf.NamedTensorMap) => [...d[q.w1.name].dataSync(), ...d[q.w2.name].dataSync()];
const quadLoss = (q: QuadraticProblem, w: number[]) =>
  0.5 * w.reduce((s, wi, i) => s + wi * q.A[i].reduce((u, a, j) => u + a * w[j], 0), 0) - w.reduce((s, wi, i) => s + wi * q.b[i], 0);

test("filter normalization: every filter (slice along the last axis) gets the norm of the weights' filter; 1-D tensors zero or copied", (t) => {
  const w = tf.tensor2d([[1, 0.1, -3], [2, 0.2, 4], [-2, 0.3, 0]]);
  const d = tf.tensor2d([[5, -1, 1], [0, 1, 1], [1, 1, 1]]);
  const n = filterNormalize(d, w);
  const col = (m: number[][], j: number) => Math.hypot(...m.map((r) => r[j]));
  const wa = w.arraySync();
  const na = n.arraySync() as number[][];
  for (let j = 0; j < 3; j++) t.true(Math.abs(col(na, j) - col(wa, j)) <= 1e-5 * col(wa, j), `filter ${j}`);
  // direction within each filter is d's
  t.true(Math.abs(na[0][0] / na[2][0] - 5) < 1e-5);
  const b = tf.tensor1d([0.5, -1]);
  t.deepEqual(Array.from(filterNormalize(tf.tensor1d([3, 3]), b).dataSync()), [0, 0]);
  t.deepEqual(Array.from(filterNormalize(tf.tensor1d([3, 3]), b, { oneDimensional: "weights" }).dataSync()), [0.5, -1]);
  tf.dispose([w, d, n, b]);
});

test("1-D slice of a quadratic: values equal L(W + α·d₁) computed in float64, centre equals L(W) exactly, weights bit-identical", async (t) => {
  const q = new QuadraticProblem([4, 2.5, 1.5, 1, 0.5, 0.25]);
  const before = bytes(q.variables);
  const r = await lossLandscape(q.loss, q.variables, { steps: 11, range: 0.5, dims: 1, seed: 21 });
  t.is(r.alphas.length, 11);
  t.is(r.betas, undefined);
  t.is(r.values.length, 1);
  t.is(r.values[0].length, 11);
  // d₁ is the first direction drawn from RandomSource(seed)
  const d1 = filterNormalizedDirection(q.variables, new RandomSource(21));
  const dv = flat(q, d1);
  const w = q.weights();
  let worst = 0;
  r.alphas.forEach((a, i) => {
    const exact = quadLoss(q, w.map((wi, k) => wi + a * dv[k]));
    worst = Math.max(worst, Math.abs(r.values[0][i] - exact) / Math.max(1, Math.abs(exact)));
  });
  t.log(`worst relative error along the line ${worst.toExponential(2)}`);
  t.true(worst <= 1e-5);
  const centre = q.loss();
  t.is(r.values[0][5], centre.dataSync()[0]);
  t.deepEqual(bytes(q.variables), before);
  tf.dispose([centre, ...Object.values(d1)]);
  q.dispose();
});

test("2-D slice: a steps × steps grid, values[j][i] = L(W + α_i·d₁ + β_j·d₂)", async (t) => {
  const q = new QuadraticProblem([4, 2.5, 1.5, 1, 0.5, 0.25]);
  const n0 = tf.memory().numTensors;
  const r = await lossLandscape(q.loss, q.variables, { steps: 5, range: 1, dims: 2, seed: 8 });
  t.is(tf.memory().numTensors, n0, "no leaked tensors");
  t.deepEqual(r.alphas, [-1, -0.5, 0, 0.5, 1]);
  t.deepEqual(r.betas, [-1, -0.5, 0, 0.5, 1]);
  const random = new RandomSource(8);
  const d1 = flat(q, filterNormalizedDirection(q.variables, random));
  const d2 = flat(q, filterNormalizedDirection(q.variables, random));
  const w = q.weights();
  let worst = 0;
  r.betas!.forEach((b, j) =>
    r.alphas.forEach((a, i) => {
      const exact = quadLoss(q, w.map((wi, k) => wi + a * d1[k] + b * d2[k]));
      worst = Math.max(worst, Math.abs(r.values[j][i] - exact) / Math.max(1, Math.abs(exact)));
    }),
  );
  t.log(`worst relative error over the plane ${worst.toExponential(2)}`);
  t.true(worst <= 1e-5);
  q.dispose();
});
