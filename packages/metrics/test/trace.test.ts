import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { hessianTrace, hutchinsonProbe } from "@flatfit/metrics";
import { LogisticProblem, QuadraticProblem } from "@flatfit/testing";

type Mat = number[][];
const bytes = (vars: tf.Variable[]) => vars.map((v) => Buffer.from(new Uint8Array(v.dataSync().buffer.slice(0))));
const trace = (m: Mat) => m.reduce((s, r, i) => s + r[i], 0);
/** Variance of one Rademacher Hutchinson sample vᵀHv: 2·Σ_{i≠j} H_ij². */
const rademacherVariance = (m: Mat) => 2 * m.reduce((s, r, i) => s + r.reduce((t, x, j) => t + (i === j ? 0 : x * x), 0), 0);

test("logistic regression: Hutchinson trace within 3 SE of the analytic trace; SE matches the estimator's known variance", async (t) => {
  const p = new LogisticProblem(64, 5, 7);
  const before = bytes([p.w]);
  const exact = p.trace();
  const H = p.hessian();
  const n = 400;
  const r = await hessianTrace(p.loss, [p.w], { samples: n, seed: 3 });
  const z = Math.abs(r.value - exact) / r.stdError;
  t.log(`trace ${r.value.toFixed(5)} ± ${r.stdError.toFixed(5)} vs analytic ${exact.toFixed(5)} (|z| = ${z.toFixed(2)})`);
  t.true(z <= 3, `|estimate − tr H| = ${z.toFixed(2)} standard errors`);
  const seExact = Math.sqrt(rademacherVariance(H) / n);
  t.log(`stdError ${r.stdError.toFixed(5)} vs exact σ/√n ${seExact.toFixed(5)} (ratio ${(r.stdError / seExact).toFixed(3)})`);
  t.true(Math.abs(r.stdError / seExact - 1) < 0.2, "standard error within 20% of the exact σ/√n");
  t.deepEqual(bytes([p.w]), before, "weights bit-identical after the measurement");
  p.dispose();
});

test("standard error shrinks as 1/√samples: 16× the samples gives ≈ 1/4 of the SE", async (t) => {
  const p = new LogisticProblem(64, 5, 7);
  const small = await hessianTrace(p.loss, [p.w], { samples: 64, seed: 11 });
  const large = await hessianTrace(p.loss, [p.w], { samples: 1024, seed: 12 });
  const ratio = small.stdError / large.stdError;
  t.log(`SE(64) / SE(1024) = ${ratio.toFixed(3)} (ideal 4)`);
  t.true(ratio > 3.3 && ratio < 4.7, `ratio ${ratio}`);
  const exact = p.trace();
  t.true(Math.abs(large.value - exact) <= 3 * large.stdError);
  p.dispose();
});

test("quadratic: averaging the FD probe over all 2^n Rademacher vectors gives tr A = Σλ exactly (≤ 1e-3); each probe equals vᵀAv", async (t) => {
  const spectrum = [4, 2.5, 1.5, 1, 0.5, 0.25];
  const q = new QuadraticProblem(spectrum);
  const before = bytes(q.variables);
  const n = spectrum.length;
  let sum = 0;
  let worst = 0;
  for (let mask = 0; mask < 2 ** n; mask++) {
    const v = Array.from({ length: n }, (_, i) => ((mask >> i) & 1 ? 1 : -1));
    const exactProbe = v.reduce((s, vi, i) => s + vi * q.A[i].reduce((u, a, j) => u + a * v[j], 0), 0);
    const parts = q.byVariable(v);
    const probe: tf.NamedTensorMap = {
      [q.w1.name]: tf.tensor2d(parts[q.w1.name], [q.split, 1]),
      [q.w2.name]: tf.tensor2d(parts[q.w2.name], [n - q.split, 1]),
    };
    const got = await hutchinsonProbe(q.loss, q.variables, { probe });
    tf.dispose(Object.values(probe));
    worst = Math.max(worst, Math.abs(got - exactProbe) / Math.abs(exactProbe));
    sum += got;
  }
  const mean = sum / 2 ** n;
  const tr = spectrum.reduce((a, b) => a + b, 0);
  t.log(`mean over all sign vectors ${mean.toFixed(6)} vs Σλ ${tr} (rel ${(Math.abs(mean - tr) / tr).toExponential(2)}); worst probe rel err ${worst.toExponential(2)}`);
  t.true(Math.abs(mean - tr) / tr <= 1e-3);
  t.true(worst <= 1e-3);
  t.deepEqual(bytes(q.variables), before);
  q.dispose();
});

test("quadratic: hessianTrace with random probes is within 3 exact standard errors of Σλ", async (t) => {
  const spectrum = [4, 2.5, 1.5, 1, 0.5, 0.25];
  const q = new QuadraticProblem(spectrum);
  const n = 256;
  const r = await hessianTrace(q.loss, q.variables, { samples: n, seed: 5 });
  const tr = spectrum.reduce((a, b) => a + b, 0);
  const se = Math.sqrt(rademacherVariance(q.A) / n);
  t.log(`trace ${r.value.toFixed(4)} ± ${r.stdError.toFixed(4)} vs Σλ ${tr}; exact SE ${se.toFixed(4)}; tr A (float64) ${trace(q.A).toFixed(6)}`);
  t.true(Math.abs(r.value - tr) <= 3 * se);
  t.true(Math.abs(r.stdError / se - 1) < 0.25);
  q.dispose();
});

test("diagonal quadratic (split over two variables): every Rademacher sample is exact, so the estimate is tr A to ≤ 1e-3 with SE ≈ 0", async (t) => {
  const a1 = tf.tensor2d([[3], [0.5], [2]]);
  const a2 = tf.tensor1d([1.25, 4, 0.75, 0.1]);
  const w1 = tf.variable(tf.tensor2d([[0.3], [-1.2], [0.7]]), true, "diag_w1");
  const w2 = tf.variable(tf.tensor1d([2, -0.4, 0.9, 1.5]), true, "diag_w2");
  const loss = () => tf.tidy(() => tf.add(tf.sum(tf.mul(a1, tf.square(w1))), tf.sum(tf.mul(a2, tf.square(w2)))).mul(0.5) as tf.Scalar);
  const tr = 3 + 0.5 + 2 + 1.25 + 4 + 0.75 + 0.1;
  const r = await hessianTrace(loss, [w1, w2], { samples: 8, seed: 9 });
  t.log(`diagonal: ${r.value} ± ${r.stdError} vs ${tr}`);
  t.true(Math.abs(r.value - tr) / tr <= 1e-3);
  t.true(r.stdError <= 1e-3 * tr);
  tf.dispose([a1, a2, w1, w2]);
});

test("hessianTrace rejects a non-positive sample count and leaves no tensors behind", async (t) => {
  const p = new LogisticProblem(32, 3, 2);
  const n0 = tf.memory().numTensors;
  await hessianTrace(p.loss, [p.w], { samples: 3, seed: 1 });
  t.is(tf.memory().numTensors, n0, "no leaked tensors");
  await t.throwsAsync(() => hessianTrace(p.loss, [p.w], { samples: 0 }), { message: /samples must be a positive integer/ });
  p.dispose();
});
