import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, FlatfitConfigError, type EpochContext } from "@flatfit/core";
import { modelHessianMaxEigenvalue, modelHessianTrace, modelPacGen } from "@flatfit/metrics";
import { blobs, bnDropoutModel, checkFitContract, gaussian, LogisticProblem, prng, reluKinkProblem, symmetricEigenvalues } from "@flatfit/testing";

const weightBytes = (m: tf.LayersModel) => m.weights.map((w) => Buffer.from(new Uint8Array((w.read().dataSync() as Float32Array).slice().buffer)));

test("inside model.fit (with quantize-on-eval too): History carries hessian_trace, hessian_trace_se, hessian_max_eig and val_acc@4bit; numTensors stable across fits", async (t) => {
  const { x, y } = blobs(96, 4, 3, 3);
  const { x: xv, y: yv } = blobs(60, 4, 3, 4);
  const ff = await createFlatfit({
    seed: 3,
    logLevel: "warn",
    plugins: [
      { use: "curvature", samples: 6, iterations: 15, seed: 7, batchSize: 25 },
      { use: "quantize-on-eval", bits: [8, 4] },
    ],
  });
  const model = bnDropoutModel(2);
  model.compile({ optimizer: ff.wrap(tf.train.sgd(0.05)), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const h = await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0, callbacks: [ff.callbacks({ validationData: [xv, yv] })] });
  t.log(Object.keys(h.history).join(", "));
  for (const key of ["hessian_trace", "hessian_trace_se", "hessian_max_eig", "val_acc@4bit", "val_loss@4bit", "val_acc@8bit"]) {
    t.is(h.history[key]?.length, 3, key);
    t.true((h.history[key] as number[]).every(Number.isFinite), key);
  }
  t.log(`trace ${h.history.hessian_trace.map((v) => (v as number).toFixed(3))}; λmax ${h.history.hessian_max_eig.map((v) => (v as number).toFixed(3))}`);
  // the last epoch's figures are those of the final weights on the whole validation set (one Hessian, batches accumulated)
  const tr = await modelHessianTrace(model, xv, yv, { samples: 6, seed: 7, batchSize: 25 });
  const eig = await modelHessianMaxEigenvalue(model, xv, yv, { iterations: 15, tolerance: 1e-3, seed: 8, batchSize: 25 });
  t.is(h.history.hessian_trace[2], tr.value);
  t.is(h.history.hessian_trace_se[2], tr.stdError);
  t.is(h.history.hessian_max_eig[2], eig.value);

  const afterFirst = tf.memory().numTensors;
  await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0, callbacks: [ff.callbacks({ validationData: [xv, yv] })] });
  t.is(tf.memory().numTensors, afterFirst, "numTensors stable across fits");
  ff.dispose();
  tf.dispose([x, y, xv, yv]);
  model.dispose();
});

test("logistic regression during fit (lr 0): the logged λmax matches the analytic Hessian (≤ 1e-3) and the trace is within 3 SE of it", async (t) => {
  const p = new LogisticProblem(64, 5, 7);
  const ff = await createFlatfit({ seed: 1, logLevel: "warn", plugins: [{ use: "curvature", samples: 200, iterations: 100, tolerance: 1e-5 }] });
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, activation: "sigmoid", useBias: false, inputShape: [p.d] })] });
  model.compile({ optimizer: ff.wrap(tf.train.sgd(0)), loss: "binaryCrossentropy" });
  model.setWeights([p.w]);
  const h = await model.fit(p.xT, p.yT, { epochs: 1, batchSize: 64, verbose: 0, callbacks: [ff.callbacks({ validationData: [p.xT, p.yT] })] });
  const lambda = symmetricEigenvalues(p.hessian())[0];
  const eig = h.history.hessian_max_eig[0] as number;
  const trace = h.history.hessian_trace[0] as number;
  const se = h.history.hessian_trace_se[0] as number;
  t.log(`λmax ${eig} vs ${lambda} (rel ${(Math.abs(eig - lambda) / lambda).toExponential(2)}); trace ${trace} ± ${se} vs ${p.trace()}`);
  t.true(Math.abs(eig - lambda) / lambda <= 1e-3);
  t.true(Math.abs(trace - p.trace()) <= 3 * se);
  ff.dispose();
  model.dispose();
  p.dispose();
});

test("every: figures on epochs n, 2n, … (NaN in between keeps History aligned); measures picks the figures; maxSamples limits the data", async (t) => {
  const { x, y } = blobs(60, 4, 3, 3);
  const ff = await createFlatfit({ seed: 2, logLevel: "warn", plugins: [{ use: "curvature", every: 2, measures: ["trace"], samples: 4, maxSamples: 20, seed: 5 }] });
  const model = bnDropoutModel(4);
  model.compile({ optimizer: ff.wrap(tf.train.sgd(0.05)), loss: "categoricalCrossentropy" });
  const h = await model.fit(x, y, { epochs: 4, batchSize: 30, verbose: 0, callbacks: [ff.callbacks({ validationData: [x, y] })] });
  const tr = h.history.hessian_trace as number[];
  t.is(tr.length, 4);
  t.true(Number.isNaN(tr[0]) && Number.isNaN(tr[2]));
  t.true(Number.isFinite(tr[1]) && Number.isFinite(tr[3]));
  t.false("hessian_max_eig" in h.history, "λmax not measured");
  const xs = x.slice(0, 20);
  const ys = y.slice(0, 20);
  const ref = await modelHessianTrace(model, xs, ys, { samples: 4, seed: 5 });
  t.is(tr[3], ref.value, "measured on the first 20 samples");
  ff.dispose();
  tf.dispose([x, y, xs, ys]);
  model.dispose();
});

test("a measurement leaves every weight and BatchNorm statistic bit-identical; without validation data it warns once and logs nothing", async (t) => {
  const { x, y } = blobs(40, 4, 3, 3);
  const lines: string[] = [];
  const ff = await createFlatfit({ seed: 2, logLevel: "warn", plugins: [{ use: "curvature", samples: 3, iterations: 5 }] }, { logSink: (_l, m) => lines.push(m) });
  const model = bnDropoutModel(6);
  model.compile({ optimizer: ff.wrap(tf.train.sgd(0.05)), loss: "categoricalCrossentropy" });
  await model.fit(x, y, { epochs: 1, batchSize: 20, verbose: 0 });
  const before = weightBytes(model);
  const ctx = (withData: boolean): EpochContext => ({
    epoch: 0,
    logs: {},
    model,
    validationData: withData ? [x, y] : undefined,
    random: ff.random,
    logger: ff.logger,
  });
  const measured = ctx(true);
  await ff.hooks.epochEnd.promise(measured);
  t.true(Number.isFinite(measured.logs.hessian_trace) && Number.isFinite(measured.logs.hessian_max_eig));
  t.deepEqual(weightBytes(model), before, "weights (BatchNorm statistics included) bit-identical");
  const none = ctx(false);
  await ff.hooks.epochEnd.promise(none);
  await ff.hooks.epochEnd.promise(ctx(false));
  t.deepEqual(none.logs, {});
  t.is(lines.filter((l) => l.includes("curvature: no data")).length, 1);
  ff.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

test("rejectKinks on a ReLU unit sitting on its kink: the logged trace is the analytic one, with the redrawn probes counted; without it the figure explodes", async (t) => {
  const run = async (rejectKinks: boolean) => {
    const { model, x, y, trace } = reluKinkProblem();
    const ff = await createFlatfit({
      seed: 1,
      logLevel: "warn",
      plugins: [{ use: "curvature", measures: ["trace"], samples: 60, relativeStep: 2e-6, rejectKinks, seed: 3 }],
    });
    model.compile({ optimizer: ff.wrap(tf.train.sgd(0)), loss: "categoricalCrossentropy" });
    const fit = () => model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, callbacks: [ff.callbacks({ validationData: [x, y] })] });
    const h = await fit();
    const afterFirst = tf.memory().numTensors;
    await fit();
    t.is(tf.memory().numTensors, afterFirst, `numTensors stable across fits (rejectKinks ${rejectKinks})`);
    ff.dispose();
    tf.dispose([x, y]);
    model.dispose();
    return { h: h.history, trace };
  };
  const guarded = await run(true);
  const value = guarded.h.hessian_trace[0] as number;
  const se = guarded.h.hessian_trace_se[0] as number;
  const rejected = guarded.h.hessian_trace_rejected[0] as number;
  const plain = await run(false);
  t.log(`analytic ${guarded.trace.toFixed(4)}; rejectKinks ${value.toFixed(4)} ± ${se.toFixed(4)} (${rejected} redrawn); plain ${(plain.h.hessian_trace[0] as number).toExponential(2)}`);
  t.true(Math.abs(value - guarded.trace) <= 4 * se + 1e-3, `trace ${value} ± ${se} vs ${guarded.trace}`);
  t.true(rejected > 20, "about half the draws cross the kink");
  t.false("hessian_trace_rejected" in plain.h, "the count is logged only with rejectKinks");
  t.true(Math.abs((plain.h.hessian_trace[0] as number) - plain.trace) > 10);
});

test("keeps fit's contract (it taps no step hook)", async (t) => {
  await checkFitContract(t, [{ use: "curvature", samples: 2, iterations: 2 }]);
});

test("pacGen in the epoch logs: linear least squares at lr 0 (every step's gradient the same g, so h = g²; a quadratic, so ρ ≈ 0) equals the closed form", async (t) => {
  const n = 32;
  const d = 4;
  const g0 = gaussian(prng(21));
  const X = Array.from({ length: n }, () => Array.from({ length: d }, () => g0()));
  const Y = X.map((r) => [10 * r[0] - 5 * r[1] + 0.5 * r[3] + 0.3 * g0()]); // large g: the √h branch of the max is taken
  const x = tf.tensor2d(X);
  const y = tf.tensor2d(Y);
  const ff = await createFlatfit({ seed: 4, logLevel: "warn", plugins: [{ use: "curvature", measures: ["pacGen"], seed: 3, pacGen: { key: "pg" } }] });
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, useBias: false, inputShape: [d] })] });
  model.compile({ optimizer: ff.wrap(tf.train.sgd(0)), loss: "meanSquaredError" });
  const w = [0.3, -0.7, 0.5, 0.1];
  const kernel = tf.tensor2d(w, [d, 1]);
  model.setWeights([kernel]);
  kernel.dispose();
  const hist = await model.fit(x, y, { epochs: 3, batchSize: n, verbose: 0, callbacks: [ff.callbacks({ validationData: [x, y] })] });
  t.deepEqual(Object.keys(hist.history).sort(), ["loss", "pg", "pg_rho"]);
  // float64: g = (2/n)·Xᵀ(Xw − y); Ψ = Σ log((|w|+κ)·max(√(g² + ρ√d·κ), 1/κ)), κ = 0.1|w| + 0.1
  const r = X.map((row, i) => row.reduce((s, v, j) => s + v * w[j], 0) - Y[i][0]);
  const g = w.map((_, j) => (2 / n) * X.reduce((s, row, i) => s + row[j] * r[i], 0));
  const psi = (rho: number) =>
    w.reduce((s, wj, j) => {
      const k = 0.1 * Math.abs(wj) + 0.1;
      return s + Math.log((Math.abs(wj) + k) * Math.max(Math.sqrt(g[j] * g[j] + rho * Math.sqrt(d) * k), 1 / k));
    }, 0);
  const branches = w.map((wj, j) => Math.abs(g[j]) > 1 / (0.1 * Math.abs(wj) + 0.1));
  t.log(`g = ${g.map((v) => v.toFixed(3))}; √h branch taken: ${branches}`);
  t.true(branches.includes(true) && branches.includes(false), "both branches of the max");
  for (let e = 0; e < 3; e++) {
    const value = hist.history.pg[e] as number;
    const rho = hist.history.pg_rho[e] as number;
    t.log(`epoch ${e + 1}: pacGen ${value} vs ${psi(rho)} (ρ = ${rho}); with ρ = 0: ${psi(0)}`);
    t.true(rho >= 0 && rho < 0.05, `ρ ${rho}`); // float32 rounding of the finite differences over |u| = κ ≈ 0.1, next to H_ii ≈ 2
    t.true(Math.abs(value - psi(rho)) <= 1e-5 * Math.abs(psi(rho)), `${value} vs ${psi(rho)}`);
    t.true(Math.abs(value - psi(0)) <= 1e-4 * Math.abs(psi(0)), `${value} vs ${psi(0)} (ρ = 0)`);
  }
  // the same as @flatfit/metrics' modelPacGen with h = g² on the data and the plugin's seed (3 + 2)
  const ref = await modelPacGen(model, x, y, { seed: 5 });
  t.true(Math.abs((hist.history.pg[2] as number) - ref.value) <= 1e-5 * Math.abs(ref.value));
  const before = tf.memory().numTensors;
  await model.fit(x, y, { epochs: 2, batchSize: n, verbose: 0, callbacks: [ff.callbacks({ validationData: [x, y] })] });
  t.is(tf.memory().numTensors, before, "numTensors stable across fits");
  ff.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

test("keeps fit's contract with pacGen on (it taps afterStep for the smoothed squared gradients)", async (t) => {
  await checkFitContract(t, [{ use: "curvature", measures: ["pacGen"] }]);
});

test("bad options are clear errors naming the plugin, the field and what is accepted", async (t) => {
  const bad = async (opts: Record<string, unknown>) => {
    const err = await t.throwsAsync(() => createFlatfit({ plugins: [{ use: "curvature", ...opts }] }), { instanceOf: FlatfitConfigError });
    t.log(err!.message);
    t.regex(err!.message, /curvature/);
    return err!.message;
  };
  t.regex(await bad({ every: 0 }), /"every".*≥ 1/);
  t.regex(await bad({ samples: 1 }), /"samples".*≥ 2/);
  t.regex(await bad({ measures: ["hessianNorm"] }), /"measures\[0\]".*"trace"\|"maxEigenvalue"/);
  t.regex(await bad({ hvp: "backward" }), /"hvp".*"central"\|"forward"/);
  t.regex(await bad({ rejectKinks: "yes" }), /"rejectKinks".*boolean/);
  t.regex(await bad({ measures: ["pacGen", "pacGen"] }), /listed twice/);
  t.regex(await bad({ pacGen: { epsilon: 0 } }), /"pacGen.epsilon"/);
  t.regex(await bad({ pacGen: { beta: 1 } }), /"pacGen.beta"/);
  t.regex(await bad({ pacGen: { probes: 0 } }), /"pacGen.probes"/);
  t.regex(await bad({ pacGen: { perturbation: "gaussian" } }), /"pacGen.perturbation".*"sign"\|"uniform"/);
  t.regex(await bad({ pacGen: { kappa: 1 } }), /unknown option/);
  t.regex(await bad({ data: "train" }), /unknown option "data"; accepted: every, measures/);
});
