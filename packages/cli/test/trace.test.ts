import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { modelHessianTrace } from "@flatfit/metrics";
import { modelTrace, sidesAgree } from "@flatfit/cli";
import { cpuBackend } from "./helpers";

test.before(cpuBackend);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const opts = { samples: 60, maxSamples: 1000, batchSize: 256, seed: 3, relativeStep: 2e-6 };

test("on a smooth model the guarded estimate agrees with the exact trace of softmax regression", async (t) => {
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

test("a probe that crosses a ReLU kink is redrawn: the estimate stays right where central differences explode", async (t) => {
  // One hidden ReLU unit whose pre-activation z = x·w + c is exactly 0 (x = 1, w = 1, c = −1). A probe
  // moves z by ε(v_w + v_c): by ±2ε (the unit switches on, on one side only) or by 0 (it stays off).
  const n = 32;
  const r = rng(2);
  const labels = Array.from({ length: n }, () => Math.floor(r() * 3));
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [1], units: 1, activation: "relu" }), tf.layers.dense({ units: 3, activation: "softmax" })],
  });
  const b3 = [0.3, -0.2, 0.5];
  model.setWeights([tf.tensor2d([[1]]), tf.tensor1d([-1]), tf.tensor2d([[0.7, -1.1, 0.4]]), tf.tensor1d(b3)]);
  model.compile({ optimizer: "sgd", loss: "categoricalCrossentropy" });
  const x = tf.ones([n, 1]);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), 3);
  // With the unit off, only the output bias moves the loss: tr H = Σ p_k (1 − p_k), p = softmax(b3).
  const e = b3.map(Math.exp);
  const p = e.map((v) => v / e.reduce((s, q) => s + q, 0));
  const exact = p.reduce((s, pk) => s + pk * (1 - pk), 0);
  const est = await modelTrace(model, x, y, opts);
  const share = est.rejected / (est.rejected + est.samples);
  t.true(share > 0.3 && share < 0.7, `${est.rejected} of ${est.rejected + est.samples} probes redrawn (expected about half)`);
  t.true(Math.abs(est.value - exact) <= 4 * est.stdError + 1e-3, `estimate ${est.value} ± ${est.stdError}, exact ${exact}`);
  const central = await modelHessianTrace(model, x, y, { samples: 20, seed: 3, relativeStep: 2e-6, method: "central" });
  t.log(`exact ${exact.toFixed(4)}, guarded ${est.value.toFixed(4)} ± ${est.stdError.toFixed(4)} (${est.rejected} redrawn), central ${central.value.toExponential(2)}`);
  t.true(Math.abs(central.value - exact) > 1000 * Math.abs(est.value - exact) + 10, `unguarded central differences gave ${central.value}`);
  t.true(sidesAgree(20, 21) && !sidesAgree(20, 500) && !sidesAgree(NaN, 1));
});
