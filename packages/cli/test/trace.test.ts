import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { modelTrace } from "@flatfit/cli";
import { cpuBackend } from "./helpers";

test.before(cpuBackend);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const opts = { samples: 60, maxSamples: 1000, batchSize: 256, seed: 3, relativeStep: 2e-6 };

test("modelTrace (guarded against kinks) on a smooth model: no probe redrawn, and the estimate agrees with the exact trace of softmax regression", async (t) => {
  const [n, d, k] = [64, 5, 3];
  const r = rng(1);
  const X = Array.from({ length: n }, () => Array.from({ length: d }, () => 2 * r() - 1));
  const labels = Array.from({ length: n }, () => Math.floor(r() * k));
  const W = Array.from({ length: d }, () => Array.from({ length: k }, () => r() - 0.5));
  const b = [0.2, -0.1, 0.05];
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [d], units: k, activation: "softmax" })] });
  model.setWeights([tf.tensor2d(W), tf.tensor1d(b)]);
  model.compile({ optimizer: "sgd", loss: "categoricalCrossentropy" });
  // Exact: per example, H = [x;1][x;1]ᵀ ⊗ (diag p − p pᵀ), so tr H = (‖x‖² + 1) · Σ p_k (1 − p_k); averaged over examples.
  let exact = 0;
  for (const x of X) {
    const z = b.map((bj, j) => bj + x.reduce((s, xi, i) => s + xi * W[i][j], 0));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const p = e.map((v) => v / e.reduce((s, q) => s + q, 0));
    exact += ((x.reduce((s, v) => s + v * v, 0) + 1) * p.reduce((s, pk) => s + pk * (1 - pk), 0)) / n;
  }
  const x = tf.tensor2d(X);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), k);
  const est = await modelTrace(model, x, y, opts);
  t.log(`exact ${exact.toFixed(4)}, estimate ${est.value.toFixed(4)} ± ${est.stdError.toFixed(4)}`);
  t.is(est.rejected, 0);
  t.is(est.samples, 60);
  t.true(Math.abs(est.value - exact) <= 4 * est.stdError, `estimate ${est.value} ± ${est.stdError}, exact ${exact}`);
  t.true(est.stdError < 0.1 * exact);
});
