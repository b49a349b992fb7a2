import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { PACGEN_DEFAULTS, pacGen, pacGenValue, SecondMomentEstimate } from "@flatfit/metrics";
import { HostReadCounter } from "@flatfit/testing";

/**
 * A separable loss over two variables (shapes [3] and [2, 2]), everything known in closed form:
 *   L(w) = Σ_i a_i/2·(w_i − c_i)² + d_i/6·w_i³
 *   g_i = a_i(w_i − c_i) + d_i w_i²/2,  H = diag(a_i + d_i w_i),  H(w + u) − H(w) = diag(d_i u_i)
 * so the Hessian's Lipschitz estimate max_i |ΔH_ii|/|u_i| is max_i |d_i| (0 for d = 0, a
 * quadratic), and central differences of the gradient (quadratic in w) are exact for any step.
 */
const W = [0.8, -1.5, 0.05, 2.5, -0.3, 1.2, 0];
const A = [20, 3, 0.5, 8, 1, 12, 2];
const C = [-0.2, 0.5, 0.3, 1.0, -1.1, 0.1, 0.4];

class Separable {
  readonly w1: tf.Variable;
  readonly w2: tf.Variable;
  private readonly a: tf.Tensor1D;
  private readonly c: tf.Tensor1D;
  private readonly d: tf.Tensor1D;
  constructor(readonly D: number[]) {
    const tag = Math.floor(Math.random() * 1e9);
    this.w1 = tf.variable(tf.tensor1d(W.slice(0, 3)), true, `pacgen_w1_${tag}`);
    this.w2 = tf.variable(tf.tensor2d(W.slice(3), [2, 2]), true, `pacgen_w2_${tag}`);
    this.a = tf.tensor1d(A);
    this.c = tf.tensor1d(C);
    this.d = tf.tensor1d(D);
  }
  get vars(): tf.Variable[] {
    return [this.w1, this.w2];
  }
  loss = (): tf.Scalar =>
    tf.tidy(() => {
      const w = tf.concat([this.w1, tf.reshape(this.w2, [4])]);
      const quad = tf.mul(0.5, tf.sum(tf.mul(this.a, tf.square(tf.sub(w, this.c)))));
      const cubic = tf.div(tf.sum(tf.mul(this.d, tf.pow(w, 3))), 6);
      return tf.add(quad, cubic) as tf.Scalar;
    });
  /** g_i in float64. */
  grad(): number[] {
    return W.map((w, i) => A[i] * (w - C[i]) + (this.D[i] * w * w) / 2);
  }
  dispose(): void {
    tf.dispose([this.w1, this.w2, this.a, this.c, this.d]);
  }
}

/** Ψ in float64: Σ log((|w|+κ)·max(√max(h + ρ√m κ, 0), 1/κ)), κ = γ|w| + ε. */
function expected(h: number[], rho: number, gamma = 0.1, epsilon = 0.1): number {
  const m = W.length;
  return W.reduce((s, w, i) => {
    const kappa = gamma * Math.abs(w) + epsilon;
    return s + Math.log((Math.abs(w) + kappa) * Math.max(Math.sqrt(Math.max(h[i] + rho * Math.sqrt(m) * kappa, 0)), 1 / kappa));
  }, 0);
}

const bytes = (vars: tf.Variable[]) => vars.map((v) => Buffer.from(new Uint8Array(v.dataSync().buffer.slice(0))));
const close = (got: number, want: number, rel: number) => Math.abs(got - want) <= rel * Math.max(1, Math.abs(want));

test("the paper's values: gamma = 0.1, epsilon = 0.1, beta = 0.999", (t) => {
  t.deepEqual({ ...PACGEN_DEFAULTS }, { gamma: 0.1, epsilon: 0.1, beta: 0.999 });
});

test("quadratic: rho estimated ≈ 0 and pacGen equals the closed form with h = g² (both branches of the max taken)", async (t) => {
  const p = new Separable(W.map(() => 0));
  const h = p.grad().map((g) => g * g);
  const before = bytes(p.vars);
  const r = await pacGen(p.loss, p.vars, { seed: 3 });
  const want = expected(h, 0);
  t.log(`pacGen ${r.value} vs ${want}; rho ${r.rho}`);
  t.true(r.rho >= 0 && r.rho < 1e-2, `rho ${r.rho}`);
  t.true(close(r.value, want, 1e-4), `${r.value} vs ${want}`);
  t.is(r.parameters, 7);
  t.is(r.gradientEvaluations, 1 + 4);
  // the max takes √h for some coordinates and 1/κ for others
  const branches = W.map((w, i) => Math.sqrt(h[i]) > 1 / (0.1 * Math.abs(w) + 0.1));
  t.true(branches.includes(true) && branches.includes(false));
  t.deepEqual(bytes(p.vars), before, "weights bit-identical");
  p.dispose();
});

test("quadratic, rho given as 0: no estimate, one gradient evaluation, closed form to float32 precision", async (t) => {
  const p = new Separable(W.map(() => 0));
  const h = p.grad().map((g) => g * g);
  const r = await pacGen(p.loss, p.vars, { rho: 0 });
  t.is(r.rho, 0);
  t.is(r.gradientEvaluations, 1);
  t.true(close(r.value, expected(h, 0), 1e-5), `${r.value} vs ${expected(h, 0)}`);
  p.dispose();
});

test("cubic: rho = max|d| exactly (for any u and probe), pacGen equals the closed form; sign and uniform perturbations, 1 and 3 probes", async (t) => {
  const D = [0.5, -3, 1, 0.25, 2, -0.5, 1.5];
  const p = new Separable(D);
  const h = p.grad().map((g) => g * g);
  const rhoExact = Math.max(...D.map(Math.abs));
  for (const perturbation of ["sign", "uniform"] as const) {
    for (const probes of [1, 3]) {
      // central differences are exact on a cubic: a large step keeps float32 rounding small
      const r = await pacGen(p.loss, p.vars, { seed: 5, perturbation, probes, relativeStep: 0.05 });
      const want = expected(h, rhoExact);
      t.log(`${perturbation}, ${probes} probe(s): rho ${r.rho} (exact ${rhoExact}), pacGen ${r.value} vs ${want}`);
      t.true(close(r.rho, rhoExact, 2e-3), `rho ${r.rho}`);
      t.true(close(r.value, want, 1e-4), `${r.value} vs ${want}`);
      t.is(r.gradientEvaluations, 1 + 4 * probes);
    }
  }
  p.dispose();
});

test("gamma and epsilon enter through κ = γ|w| + ε", async (t) => {
  const p = new Separable(W.map(() => 0));
  const h = p.grad().map((g) => g * g);
  const r = await pacGen(p.loss, p.vars, { rho: 0.5, gamma: 1, epsilon: 0.01 });
  t.true(close(r.value, expected(h, 0.5, 1, 0.01), 1e-5), `${r.value} vs ${expected(h, 0.5, 1, 0.01)}`);
  p.dispose();
});

test("SecondMomentEstimate: Adam's bias-corrected EMA of squared gradients, and pacGen with it as h", async (t) => {
  const beta = PACGEN_DEFAULTS.beta;
  const steps = [
    [1, -2, 0.5],
    [3, 0, -1],
    [-0.5, 4, 2],
  ];
  const est = new SecondMomentEstimate();
  for (const g of steps) {
    const gt = tf.tensor1d(g);
    est.update([gt]);
    gt.dispose();
  }
  t.is(est.steps, 3);
  const raw = [0, 1, 2].map((i) => steps.reduce((h, g) => beta * h + (1 - beta) * g[i] * g[i], 0));
  const corrected = raw.map((x) => x / (1 - beta ** 3));
  const [v] = est.value();
  const [u] = est.value({ biasCorrected: false });
  const got = Array.from(v.dataSync());
  t.true(got.every((x, i) => close(x, corrected[i], 1e-5)), `${got} vs ${corrected}`);
  t.true(Array.from(u.dataSync()).every((x, i) => close(x, raw[i], 1e-5)));
  // Ψ with these h, straight from pacGenValue, against float64
  const w = tf.tensor1d([0.8, -1.5, 0.05]);
  const psi = pacGenValue([w], [v], 0.3);
  const wantPsi = [0.8, -1.5, 0.05].reduce((s, x, i) => {
    const k = 0.1 * Math.abs(x) + 0.1;
    return s + Math.log((Math.abs(x) + k) * Math.max(Math.sqrt(corrected[i] + 0.3 * Math.sqrt(3) * k), 1 / k));
  }, 0);
  t.true(close(psi.dataSync()[0], wantPsi, 1e-5), `${psi.dataSync()[0]} vs ${wantPsi}`);
  tf.dispose([v, u, w, psi]);
  est.dispose();
});

test("pacGen with secondMoment given: no gradient for h; equals the closed form with those h", async (t) => {
  const p = new Separable(W.map(() => 0));
  const hv = [1, 2, 3, 4, 5, 6, 7].map((x) => x * 10);
  const h = [tf.tensor1d(hv.slice(0, 3)), tf.tensor2d(hv.slice(3), [2, 2])];
  const r = await pacGen(p.loss, p.vars, { secondMoment: h, rho: 0.2 });
  t.is(r.gradientEvaluations, 0);
  t.true(close(r.value, expected(hv, 0.2), 1e-5), `${r.value} vs ${expected(hv, 0.2)}`);
  tf.dispose(h);
  p.dispose();
});

test("no tensor leaks and a single device→host read (the final result)", async (t) => {
  const p = new Separable([0.5, -3, 1, 0.25, 2, -0.5, 1.5]);
  await pacGen(p.loss, p.vars, { seed: 1 }); // warm-up: kernels, backend state
  const reads = new HostReadCounter();
  const before = tf.memory().numTensors;
  reads.watching = true;
  try {
    await pacGen(p.loss, p.vars, { seed: 2, probes: 2 });
  } finally {
    reads.watching = false;
    reads.restore();
  }
  t.is(tf.memory().numTensors, before, "numTensors unchanged");
  t.is(reads.count, 1, "one read: the final [value, rho]");
  const est = new SecondMomentEstimate(0.9);
  const g = tf.ones([3]);
  const beforeEst = tf.memory().numTensors;
  est.update([g]);
  est.update([g]);
  est.dispose();
  t.is(tf.memory().numTensors, beforeEst, "SecondMomentEstimate frees its state");
  g.dispose();
  p.dispose();
});

test("option errors", async (t) => {
  const p = new Separable(W.map(() => 0));
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ gamma: -1 }, /gamma must be a finite number ≥ 0/],
    [{ epsilon: 0 }, /epsilon must be a finite number > 0/],
    [{ epsilon: NaN }, /epsilon/],
    [{ probes: 0 }, /probes must be a positive integer/],
    [{ probes: 1.5 }, /probes/],
    [{ perturbation: "gaussian" }, /perturbation must be "sign" or "uniform"/],
    [{ rho: -0.1 }, /rho must be a finite number ≥ 0/],
    [{ relativeStep: 0 }, /relativeStep/],
    [{ secondMoment: [tf.zeros([3])] }, /secondMoment has 1 tensors for 2 variables/],
    [{ secondMoment: [tf.zeros([3]), tf.zeros([4])] }, /secondMoment\[1\] has shape \[4\]/],
  ];
  const before = tf.memory().numTensors;
  for (const [opts, message] of bad) {
    await t.throwsAsync(() => pacGen(p.loss, p.vars, opts as never), { instanceOf: RangeError, message }, JSON.stringify(opts));
    if (opts.secondMoment) tf.dispose(opts.secondMoment as tf.Tensor[]);
  }
  t.is(tf.memory().numTensors, before - 3, "nothing left behind by a refused call");
  t.throws(() => new SecondMomentEstimate(1), { instanceOf: RangeError, message: /beta must be in \[0, 1\)/ });
  t.throws(() => new SecondMomentEstimate().value(), { message: /no gradients yet/ });
  p.dispose();
});
