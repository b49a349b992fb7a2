import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, evaluateElementwise, fusedKernelSpecs, type PluginSpec } from "@flatfit/core";
import { AsamPlugin, isBiasName, RsamPlugin, SamPlugin, UsamPlugin, WpSgdPlugin } from "@flatfit/plugin-sam";
import { OracleProbe, QuadraticProblem, gaussian, prng, RecordingOptimizer, captureStep, checkFitContract, norm, pluginConfigError, relError } from "@flatfit/testing";

const quiet = { logSink: () => {} };
type Vec = number[];
const add = (a: Vec, b: Vec): Vec => a.map((x, i) => x + b[i]);
const sub = (a: Vec, b: Vec): Vec => a.map((x, i) => x - b[i]);
const scale = (a: Vec, s: number): Vec => a.map((x) => x * s);

/** float32 tolerance for a gradient computed at a point that is itself computed in float32. */
const TOL = 1e-5;

const METHODS = [
  { id: "sam", cls: SamPlugin, defaults: { rho: 0.05 }, evaluations: 2 },
  { id: "usam", cls: UsamPlugin, defaults: { rho: 0.05 }, evaluations: 2 },
  { id: "asam", cls: AsamPlugin, defaults: { rho: 0.5, eta: 0.01, biases: "identity" }, evaluations: 2 },
  { id: "rsam", cls: RsamPlugin, defaults: { rho: 0.05, sigma: 0.01 }, evaluations: 2 },
  { id: "wp-sgd", cls: WpSgdPlugin, defaults: { sigma: 0.01, distribution: "gaussian" }, evaluations: 1 },
] as const;

test("each id resolves by name to its class, with the documented defaults", async (t) => {
  for (const m of METHODS) {
    const ff = await createFlatfit({ seed: 1, plugins: [{ use: m.id }] }, quiet);
    t.deepEqual(ff.pluginIds, [m.id]);
    const plugin = ff.plugin(0) as unknown as { options: unknown };
    t.true(plugin instanceof m.cls, m.id);
    t.deepEqual(plugin.options, m.defaults, m.id);
    ff.dispose();
  }
});

/** One captured step on a quadratic ∇L = AW − b: the gradient handed on and every point the loss was evaluated at. */
async function quadraticStep(spec: PluginSpec, seed = 1) {
  const q = new QuadraticProblem();
  try {
    const step = await captureStep([spec], q.loss, q.variables, { seed });
    return { q, ...step, w: step.start };
  } finally {
    q.dispose();
  }
}

test("sam: out = ∇L(W + ρ g/‖g‖) on a quadratic, with the ascent point where it should be", async (t) => {
  for (const rho of [0.01, 0.05, 0.5]) {
    const { q, grad, points, w } = await quadraticStep({ use: "sam", rho });
    const g = q.grad(w);
    const eps = scale(g, rho / norm(g));
    t.is(points.length, 2, "the clean gradient, then W + ε");
    t.true(relError(points[1], add(w, eps)) < 1e-6, `ρ=${rho}: evaluated at W + ε`);
    t.true(Math.abs(norm(sub(points[1], w)) / rho - 1) < 1e-4, `ρ=${rho}: ‖ε‖ = ρ`);
    const err = relError(grad, q.grad(add(w, eps)));
    t.true(err < TOL, `ρ=${rho}: relative error ${err}`);
  }
});

test("usam: out = ∇L(W + ρ g) on a quadratic, i.e. (I + ρA)g exactly", async (t) => {
  for (const rho of [0.01, 0.05, 0.3]) {
    const { q, grad, points, w } = await quadraticStep({ use: "usam", rho });
    const g = q.grad(w);
    t.true(relError(points[1], add(w, scale(g, rho))) < 1e-6, `ρ=${rho}: evaluated at W + ρg`);
    const expected = q.grad(add(w, scale(g, rho)));
    const err = relError(grad, expected);
    t.true(err < TOL, `ρ=${rho}: relative error ${err}`);
  }
});

/** ASAM's ε in float64: ρ T² g / ‖T g‖ with T = |w| + η (T = 1 where `plain`). */
function asamEps(w: Vec, g: Vec, rho: number, eta: number, plain: (i: number) => boolean = () => false): Vec {
  const T = w.map((x, i) => (plain(i) ? 1 : Math.abs(x) + eta));
  const n = norm(g.map((x, i) => T[i] * x));
  return g.map((x, i) => (rho * T[i] * T[i] * x) / n);
}

test("asam: out = ∇L(W + ρ T²g/‖Tg‖), T = |W| + η, on a quadratic", async (t) => {
  for (const [rho, eta] of [
    [0.5, 0.01],
    [1, 0],
    [2, 0.1],
  ]) {
    const { q, grad, points, w } = await quadraticStep({ use: "asam", rho, eta });
    const eps = asamEps(w, q.grad(w), rho, eta);
    t.true(relError(points[1], add(w, eps)) < 1e-6, `ρ=${rho} η=${eta}: evaluated at W + ε`);
    // ‖T⁻¹ε‖ = ρ: the radius is measured in the normalized space
    const T = w.map((x) => Math.abs(x) + eta);
    t.true(Math.abs(norm(eps.map((e, i) => e / T[i])) / rho - 1) < 1e-9);
    const err = relError(grad, q.grad(add(w, eps)));
    t.true(err < TOL, `ρ=${rho} η=${eta}: relative error ${err}`);
  }
});

test("asam: biases take T = 1 by default, T = |W| + η with biases: adaptive", async (t) => {
  t.true(isBiasName("dense_Dense1/bias"));
  t.true(isBiasName("batch_normalization_BatchNormalization1/beta"));
  t.true(isBiasName("conv2d_Conv2D3/bias_2"));
  t.false(isBiasName("dense_Dense1/kernel"));
  t.false(isBiasName("batch_normalization_BatchNormalization1/gamma"));
  t.false(isBiasName("quad_bias_w1"));
  // L = ½ Σ a_i x_i² − Σ b_i x_i over a kernel (3) and a bias (2): ∇L = a ⊙ x − b
  const a = [3, 1, 0.5, 2, 4];
  const b = [0.2, -1, 0.7, 0.3, -0.4];
  const x0 = [0.8, -0.3, 1.5, 0.05, -0.6];
  const gradAt = (x: Vec) => x.map((xi, i) => a[i] * xi - b[i]);
  for (const biases of ["identity", "adaptive"] as const) {
    const kernel = tf.variable(tf.tensor1d(x0.slice(0, 3)), true, `lin_${biases}/kernel`);
    const bias = tf.variable(tf.tensor1d(x0.slice(3)), true, `lin_${biases}/bias`);
    const aT = tf.tensor1d(a);
    const bT = tf.tensor1d(b);
    const loss = () =>
      tf.tidy(() => {
        const x = tf.concat([kernel, bias]);
        return tf.sub(tf.mul(0.5, tf.sum(tf.mul(aT, tf.square(x)))), tf.sum(tf.mul(bT, x))) as tf.Scalar;
      });
    try {
      const { grad } = await captureStep([{ use: "asam", rho: 0.5, eta: 0.01, biases }], loss, [kernel, bias]);
      const eps = asamEps(x0, gradAt(x0), 0.5, 0.01, (i) => biases === "identity" && i >= 3);
      const err = relError(grad, gradAt(add(x0, eps)));
      t.true(err < TOL, `${biases}: relative error ${err}`);
    } finally {
      tf.dispose([kernel, bias, aT, bT]);
    }
  }
});

test("rsam: out = ∇L(W + ρ g̃/‖g̃‖) with g̃ = ∇L(W + U), U drawn with std σ; the clean gradient is never computed", async (t) => {
  const sigma = 0.05;
  const rho = 0.05;
  for (const seed of [1, 2, 3]) {
    const { q, grad, points, w } = await quadraticStep({ use: "rsam", rho, sigma }, seed);
    t.is(points.length, 3, "the clean forward pass (fit's metrics), W + U, W + ε");
    t.deepEqual(points[0], w);
    const smoothed = q.grad(points[1]); // ∇L at the point actually evaluated: W + U in float32
    const eps = scale(smoothed, rho / norm(smoothed));
    t.true(relError(points[2], add(w, eps)) < 1e-6, `seed ${seed}: ascent from W along g̃`);
    const err = relError(grad, q.grad(add(w, eps)));
    t.true(err < TOL, `seed ${seed}: relative error ${err}`);
    // the direction differs from SAM's: U moved it
    const g = q.grad(w);
    t.true(relError(scale(smoothed, 1 / norm(smoothed)), scale(g, 1 / norm(g))) > 1e-4, `seed ${seed}: the noise changes the ascent direction`);
  }
});

test("wp-sgd: out = ∇L(W + U), one sample of std σ per step", async (t) => {
  for (const distribution of ["gaussian", "laplace", "uniform"] as const) {
    const { q, grad, points, w } = await quadraticStep({ use: "wp-sgd", sigma: 0.1, distribution });
    t.is(points.length, 2, "the clean forward pass, then W + U");
    t.deepEqual(points[0], w);
    t.true(norm(sub(points[1], w)) > 0, "the weights were perturbed");
    const err = relError(grad, q.grad(points[1]));
    t.true(err < TOL, `${distribution}: relative error ${err}`);
  }
});

/** Runs `steps` steps at learning rate 0 and returns the offsets (point − W) of evaluation `index` of each step. */
async function noiseSamples(spec: PluginSpec, steps: number, index: number, seed = 7): Promise<number[]> {
  const q = new QuadraticProblem();
  const ff = await createFlatfit({ seed, plugins: [spec] }, quiet);
  const w = q.weights();
  const samples: number[] = [];
  let calls: Vec[] = [];
  const loss = () => {
    calls.push(q.weights());
    return q.loss();
  };
  try {
    for (let s = 0; s < steps; s++) {
      calls = [];
      ff.step(loss, q.variables, new RecordingOptimizer(0)).dispose();
      samples.push(...sub(calls[index], w));
    }
    return samples;
  } finally {
    ff.dispose();
    q.dispose();
  }
}

test("the noise of rsam and wp-sgd has standard deviation σ and the chosen distribution's shape, fresh every step", async (t) => {
  const cases = [
    { spec: { use: "rsam", rho: 0.05, sigma: 0.02 }, sigma: 0.02, kurtosis: 3 },
    { spec: { use: "wp-sgd", sigma: 0.2 }, sigma: 0.2, kurtosis: 3 },
    { spec: { use: "wp-sgd", sigma: 0.2, distribution: "laplace" }, sigma: 0.2, kurtosis: 6 },
    { spec: { use: "wp-sgd", sigma: 0.2, distribution: "uniform" }, sigma: 0.2, kurtosis: 1.8 },
  ];
  for (const c of cases) {
    const u = await noiseSamples(c.spec, 700, 1);
    const n = u.length;
    const m2 = u.reduce((s, x) => s + x * x, 0) / n;
    const kurtosis = u.reduce((s, x) => s + x ** 4, 0) / n / (m2 * m2);
    const std = Math.sqrt(m2);
    const label = JSON.stringify(c.spec);
    t.log(`${label}: std ${std.toFixed(4)} (σ = ${c.sigma}), kurtosis ${kurtosis.toFixed(2)}, n = ${n}`);
    t.true(Math.abs(std / c.sigma - 1) < 0.04, `${label}: std ${std}`);
    t.true(Math.abs(kurtosis - c.kurtosis) < (c.kurtosis === 6 ? 1.2 : 0.25), `${label}: kurtosis ${kurtosis}`);
    t.true(new Set(u).size >= 0.99 * n, `${label}: fresh noise every step`);
  }
});

test("the same seed repeats rsam's and wp-sgd's steps; another seed does not", async (t) => {
  for (const spec of [{ use: "rsam", sigma: 0.05 }, { use: "wp-sgd", sigma: 0.05 }]) {
    const a = await quadraticStep(spec, 1);
    const b = await quadraticStep(spec, 1);
    const c = await quadraticStep(spec, 2);
    t.deepEqual(a.grad, b.grad, spec.use);
    t.notDeepEqual(a.grad, c.grad, spec.use);
  }
});

test("gradient evaluations per step: 2 for sam, usam, asam, rsam; 1 for wp-sgd", async (t) => {
  for (const m of METHODS) {
    const q = new QuadraticProblem();
    const probe = new OracleProbe();
    const ff = await createFlatfit({ seed: 1, plugins: [{ use: probe.plugin() }, { use: m.id }] }, quiet);
    let closureCalls = 0;
    const loss = () => {
      closureCalls++;
      return q.loss();
    };
    for (let s = 0; s < 3; s++) {
      closureCalls = 0;
      ff.step(loss, q.variables, new RecordingOptimizer(0.01)).dispose();
      t.is(probe.count(), m.evaluations, `${m.id}: gradient evaluations in step ${s}`);
      // sam, usam, asam start with the clean gradient; rsam and wp-sgd never compute it, so the
      // engine runs one forward pass at W for the loss and metrics fit reports
      const clean = m.id === "rsam" || m.id === "wp-sgd" ? 1 : 0;
      t.is(closureCalls, m.evaluations + clean, `${m.id}: loss closure calls in step ${s}`);
    }
    ff.dispose();
    q.dispose();
  }
});

test("a zero gradient gives a zero perturbation (no NaN) for the normalized methods", async (t) => {
  for (const id of ["sam", "asam", "rsam"]) {
    const w = tf.variable(tf.tensor1d([0.5, -1, 2]), true, `flat_${id.replace("-", "_")}`);
    // L = 0·Σw: gradient zero everywhere
    const { grad, points } = await captureStep([{ use: id }], () => tf.tidy(() => tf.mul(0, tf.sum(w)) as tf.Scalar), [w]);
    t.true(grad.every((x) => x === 0), `${id}: ${grad}`);
    t.true(points.every((p) => p.every(Number.isFinite)), `${id}: finite points`);
    t.deepEqual(points[points.length - 1], [0.5, -1, 2], `${id}: ε = 0`);
    w.dispose();
  }
});

test("asam's fused kernels: the cpu loop, the elementwise form (float64) and the tf ops agree", (t) => {
  const g = gaussian(prng(5));
  const n = 257;
  const w = Array.from({ length: n }, () => g());
  const grad = Array.from({ length: n }, () => g());
  w[3] = 0; // |w| + η at a zero weight
  for (const [name, inputs] of [
    ["FlatfitSamAdaptiveGradientSquares", [w, grad]],
    ["FlatfitSamAdaptivePerturbation", [w, grad, [0.37]]],
  ] as const) {
    const spec = fusedKernelSpecs().get(name);
    if (!spec) return t.fail(`${name} is not declared`);
    for (const eta of [0, 0.01, 0.5]) {
      const f32 = inputs.map((v) => Float32Array.from(v));
      const loop = Array.from(spec.cpu(f32, { eta })[0]);
      const form = spec.elementwise!(inputs.length);
      const meaning = Array.from({ length: n }, (_, i) => evaluateElementwise(form.expr, f32, { eta }, i));
      const want = form.reduce === "sum" ? [meaning.reduce((s, v) => s + v, 0)] : meaning;
      const ops = tf.tidy(() => Array.from(spec.ops(f32.map((v, i) => (i === 2 ? tf.scalar(v[0]) : tf.tensor1d(v))), { eta })[0].dataSync()));
      t.true(relError(loop, want) < 1e-6, `${name} η=${eta}: loop vs elementwise ${relError(loop, want)}`);
      t.true(relError(ops, want) < 1e-5, `${name} η=${eta}: ops vs elementwise ${relError(ops, want)}`);
    }
  }
});

for (const m of METHODS) {
  test(`${m.id} keeps model.fit's contract (reported loss, BatchNorm statistics, no host reads, no leaks)`, async (t) => {
    await checkFitContract(t, [{ use: m.id }]);
  });
}

test("bad options are rejected naming the plugin, the option and what is accepted", async (t) => {
  t.regex(await pluginConfigError("sam", { rho: 0 }), /plugins\[0\] \(sam\) option "rho": expected a number > 0 \(the radius ρ; SAM uses 0\.05.*\(got 0\)/);
  t.regex(await pluginConfigError("sam", { rho: "big" }), /\(sam\) option "rho": .*number.*\(got "big"\)/);
  t.regex(await pluginConfigError("sam", { radius: 0.05 }), /\(sam\): unknown option "radius"; accepted: rho/);
  t.regex(await pluginConfigError("usam", { rho: -1 }), /plugins\[0\] \(usam\) option "rho": expected a number > 0.*\(got -1\)/);
  t.regex(await pluginConfigError("asam", { eta: -0.01 }), /plugins\[0\] \(asam\) option "eta": expected a number ≥ 0.*\(got -0\.01\)/);
  t.regex(await pluginConfigError("asam", { biases: "skip" }), /\(asam\) option "biases": .*"identity".*"adaptive".*\(got "skip"\)/);
  t.regex(await pluginConfigError("asam", { adaptive: true }), /\(asam\): unknown option "adaptive"; accepted: rho, eta, biases/);
  t.regex(await pluginConfigError("rsam", { sigma: 0 }), /plugins\[0\] \(rsam\) option "sigma": expected a number > 0 \(the noise standard deviation σ; the NSO paper searches \{0\.008, 0\.01, 0\.012\}\) \(got 0\)/);
  t.regex(await pluginConfigError("rsam", { rho: 0 }), /\(rsam\) option "rho": expected a number > 0/);
  t.regex(await pluginConfigError("wp-sgd", { sigma: -0.1 }), /plugins\[0\] \(wp-sgd\) option "sigma": expected a number > 0.*\(got -0\.1\)/);
  t.regex(await pluginConfigError("wp-sgd", { distribution: "binomial" }), /\(wp-sgd\) option "distribution": .*"gaussian".*"laplace".*"uniform".*\(got "binomial"\)/);
  t.regex(await pluginConfigError("wp-sgd", { rho: 0.05 }), /\(wp-sgd\): unknown option "rho"; accepted: sigma, distribution/);
});
