import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { hessianMaxEigenvalue } from "@flatfit/metrics";
import { LogisticProblem, QuadraticProblem, symmetricEigenvalues } from "@flatfit/testing";

const bytes = (vars: tf.Variable[]) => vars.map((v) => Buffer.from(new Uint8Array(v.dataSync().buffer.slice(0))));

test("logistic regression: power iteration matches the analytic Hessian's largest eigenvalue (≤ 1e-3 relative)", async (t) => {
  const p = new LogisticProblem(64, 5, 7);
  const before = bytes([p.w]);
  const eig = symmetricEigenvalues(p.hessian());
  const r = await hessianMaxEigenvalue(p.loss, [p.w], { iterations: 200, tolerance: 1e-5, seed: 2 });
  const rel = Math.abs(r.value - eig[0]) / eig[0];
  t.log(`λmax ${r.value.toFixed(6)} vs ${eig[0].toFixed(6)} (rel ${rel.toExponential(2)}, ${r.iterations} iterations; λ2/λ1 = ${(eig[1] / eig[0]).toFixed(3)})`);
  t.true(rel <= 1e-3);
  t.true(r.iterations < 200, "stopped by the tolerance");
  t.deepEqual(bytes([p.w]), before, "weights bit-identical");
  p.dispose();
});

test("quadratic with known spectrum: λmax = 4 to ≤ 1e-3", async (t) => {
  const q = new QuadraticProblem([4, 2.5, 1.5, 1, 0.5, 0.25]);
  const before = bytes(q.variables);
  const r = await hessianMaxEigenvalue(q.loss, q.variables, { iterations: 100, tolerance: 1e-6, seed: 4 });
  t.log(`λmax ${r.value} after ${r.iterations} iterations`);
  t.true(Math.abs(r.value - 4) / 4 <= 1e-3);
  t.deepEqual(bytes(q.variables), before);
  q.dispose();
});

test("power iteration finds the eigenvalue of largest MAGNITUDE, with its sign", async (t) => {
  const q = new QuadraticProblem([2, 1, -3, 0.5]);
  const r = await hessianMaxEigenvalue(q.loss, q.variables, { iterations: 200, tolerance: 1e-7, seed: 4 });
  t.log(`dominant eigenvalue ${r.value} (spectrum 2, 1, −3, 0.5)`);
  t.true(Math.abs(r.value + 3) / 3 <= 1e-3);
  q.dispose();
});

test("the iteration cap is respected and the tolerance stops early", async (t) => {
  const q = new QuadraticProblem([4, 3.9, 1, 0.5]);
  const capped = await hessianMaxEigenvalue(q.loss, q.variables, { iterations: 3, tolerance: 0, seed: 1 });
  t.is(capped.iterations, 3);
  const loose = await hessianMaxEigenvalue(q.loss, q.variables, { iterations: 500, tolerance: 1e-2, seed: 1 });
  t.true(loose.iterations < 500);
  const n0 = tf.memory().numTensors;
  await hessianMaxEigenvalue(q.loss, q.variables, { iterations: 5, seed: 1 });
  t.is(tf.memory().numTensors, n0, "no leaked tensors");
  q.dispose();
});
