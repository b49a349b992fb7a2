import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type FlatfitHooks, type GradientOracle, type StepContext } from "@flatfit/core";
import { NsoPlugin } from "@flatfit/plugin-nso";
import { LogisticProblem, QuadraticProblem, RecordingOptimizer, checkFitContract, relError, pluginConfigError, checkTrainsBetterThanChance } from "@flatfit/testing";

const quiet = { logSink: () => {} };
const DISTRIBUTIONS = ["gaussian", "laplace", "uniform"] as const;
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** Wraps `problem.loss` so that the test can count how often a step evaluates it. */
function counting(loss: () => tf.Scalar): { loss: () => tf.Scalar; calls: () => number } {
  let n = 0;
  return {
    loss: () => {
      n++;
      return loss();
    },
    calls: () => n,
  };
}

test("the default export is the plugin class, with the documented defaults", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "nso" }] }, quiet);
  t.deepEqual(ff.pluginIds, ["nso"]);
  const plugin = ff.plugin<NsoPlugin>(0);
  t.true(plugin instanceof NsoPlugin);
  t.deepEqual(plugin.options, { sigma: 0.01, samples: 1, distribution: "gaussian" });
  ff.dispose();
});

test("on a quadratic the ± average equals the clean gradient (first-order terms cancel, H constant)", async (t) => {
  let worst = 0;
  for (const distribution of DISTRIBUTIONS) {
    for (const sigma of [0.01, 0.1, 1]) {
      const p = new QuadraticProblem();
      const ff = await createFlatfit({ seed: 5, plugins: [{ use: "nso", sigma, distribution }] }, quiet);
      const rec = new RecordingOptimizer(0);
      const names = p.variables.map((v) => v.name);
      for (let s = 0; s < 3; s++) {
        ff.step(p.loss, p.variables, rec).dispose();
        const err = relError(rec.last(names), p.grad());
        worst = Math.max(worst, err);
        t.true(err <= 1e-4, `${distribution} σ=${sigma} step ${s}: relative error ${err.toExponential(2)} > 1e-4`);
      }
      ff.dispose();
      p.dispose();
    }
  }
  t.log(`worst relative error ${worst.toExponential(2)} (bound 1e-4)`);
});

test("a step costs 2k gradient evaluations plus the clean forward pass", async (t) => {
  for (const samples of [1, 3]) {
    const p = new QuadraticProblem();
    const c = counting(p.loss);
    const ff = await createFlatfit({ seed: 5, plugins: [{ use: "nso", sigma: 0.1, samples }] }, quiet);
    const rec = new RecordingOptimizer(0);
    ff.step(c.loss, p.variables, rec).dispose();
    t.is(c.calls(), 1 + 2 * samples, `samples=${samples}`);
    t.true(relError(rec.last(p.variables.map((v) => v.name)), p.grad()) <= 1e-4);
    ff.dispose();
    p.dispose();
  }
});

/**
 * Logistic regression: the expected NSO gradient is g + (σ²/2)·∇tr H + O(σ⁴). The ± pairing
 * cancels the odd terms, so one step's deviation from that mean is O(σ²): the relative statistical
 * error of the average does not shrink with σ, only with the number of steps (≈ 2.3 % of the
 * target at 2,000 steps here, ≈ 1.2 % at 8,000). The bound is checked on the mean of the first
 * 2,000 steps and on all 8,000: at 8,000 the 5 % bound sits ≥ 3 standard errors away, so the
 * check does not hang on the seed; σ = 0.03 keeps the O(σ⁴) remainder well under 1 %.
 */
test("on logistic regression the mean NSO gradient is g + (σ²/2)∇tr H, for every distribution", async (t) => {
  const sigma = 0.03;
  const steps = 8000;
  const diffs: number[][] = [];
  for (const distribution of DISTRIBUTIONS) {
    const p = new LogisticProblem();
    const ff = await createFlatfit({ seed: 3, plugins: [{ use: "nso", sigma, distribution }] }, quiet);
    const rec = new RecordingOptimizer(0);
    for (let i = 0; i < steps; i++) ff.step(p.loss, [p.w], rec).dispose();
    const names = [p.w.name];
    const mean = rec.mean(names);
    const g = p.grad();
    const target = p.gradTrace().map((x) => ((sigma * sigma) / 2) * x);
    const diff = mean.map((m, j) => m - g[j]);
    diffs.push(diff);
    // Standard error of the mean, from the recorded samples themselves.
    const rows = rec.calls.map((r) => r[p.w.name]);
    const se = norm(mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / (steps - 1) / steps)));
    const err = relError(diff, target);
    const mean2000 = rec.mean(names, 2000);
    const err2000 = relError(mean2000.map((m, j) => m - g[j]), target);
    t.log(`${distribution}: first 2,000 steps: relative error ${(100 * err2000).toFixed(2)} % (bound 5 %)`);
    t.true(err2000 <= 0.05, `${distribution}: over 2,000 steps relative error ${err2000} > 5 %`);
    t.log(`${distribution}: relative error ${(100 * err).toFixed(2)} % (bound 5 %), standard error ${((100 * se) / norm(target)).toFixed(2)} % of the target`);
    t.true(se / norm(target) < 0.02, `${distribution}: the statistical error leaves the 5 % bound no margin`);
    t.true(err <= 0.05, `${distribution}: relative error ${err} > 5 %`);
    ff.dispose();
    p.dispose();
  }
  // Same standard deviation → same second-order term, whatever the distribution.
  for (let a = 0; a < diffs.length; a++) for (let b = a + 1; b < diffs.length; b++) t.true(relError(diffs[a], diffs[b]) <= 0.1, `${DISTRIBUTIONS[a]} vs ${DISTRIBUTIONS[b]}`);
});

/** Placed before nso: sees every point nso evaluates, and returns the gradient of L + ½·decay·‖W‖². */
class PointProbe {
  static id = "point-probe";
  readonly points: number[][] = [];
  readonly grads: number[][] = [];
  constructor(readonly options: { decay: number }) {}
  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap(PointProbe.id, (oracle: GradientOracle, ctx: StepContext) => () => {
      const r = oracle();
      const grads: tf.NamedTensorMap = {};
      for (const v of ctx.variables) grads[v.name] = tf.add(r.grads[v.name], tf.mul(v, this.options.decay));
      this.points.push(ctx.variables.flatMap((v) => Array.from(v.dataSync())));
      this.grads.push(ctx.variables.flatMap((v) => Array.from(grads[v.name].dataSync())));
      return { loss: r.loss, grads };
    });
  }
}

test("composed after a probe: nso evaluates W ± U with U of std sigma, and averages the probe's gradients", async (t) => {
  const sigma = 0.2;
  const decay = 0.3;
  for (const distribution of DISTRIBUTIONS) {
    const p = new QuadraticProblem();
    const names = p.variables.map((v) => v.name);
    const ff = await createFlatfit({ seed: 9, plugins: [{ use: PointProbe, decay }, { use: "nso", sigma, samples: 2, distribution }] }, quiet);
    const probe = ff.plugin<PointProbe>(0);
    const rec = new RecordingOptimizer(0.01);
    const noise: number[] = [];
    for (let s = 0; s < 500; s++) {
      const w = p.weights();
      probe.points.length = 0;
      probe.grads.length = 0;
      ff.step(p.loss, p.variables, rec).dispose();
      t.is(probe.points.length, 4, "2k points per step");
      for (let j = 0; j < 4; j += 2) {
        const [plus, minus] = [probe.points[j], probe.points[j + 1]];
        for (let i = 0; i < w.length; i++) {
          if (Math.abs((plus[i] + minus[i]) / 2 - w[i]) > 1e-6) t.fail(`points not symmetric about W (step ${s})`);
          noise.push(plus[i] - w[i]);
        }
      }
      // Composed math: nso averages the probe's gradient (A + decay·I)(W ± U) − b → (A + decay·I)W − b.
      const expected = p.grad(w).map((gi, i) => gi + decay * w[i]);
      const out = rec.last(names);
      if (relError(out, expected) > 1e-4) t.fail(`step ${s}: composed gradient off by ${relError(out, expected)}`);
      const avg = out.map((_, i) => probe.grads.reduce((acc, g) => acc + g[i], 0) / probe.grads.length);
      if (relError(out, avg) > 1e-6) t.fail(`step ${s}: output is not the mean of the probe's gradients`);
    }
    const n = noise.length;
    const m2 = noise.reduce((s, x) => s + x * x, 0) / n;
    const kurtosis = noise.reduce((s, x) => s + x ** 4, 0) / n / (m2 * m2);
    const std = Math.sqrt(m2);
    t.log(`${distribution}: std ${std.toFixed(4)} (σ = ${sigma}), kurtosis ${kurtosis.toFixed(2)}, n = ${n}`);
    t.true(Math.abs(std / sigma - 1) < 0.04, `${distribution}: std ${std}`);
    const expectedKurtosis = { gaussian: 3, laplace: 6, uniform: 1.8 }[distribution];
    t.true(Math.abs(kurtosis - expectedKurtosis) < (distribution === "laplace" ? 1 : 0.2), `${distribution}: kurtosis ${kurtosis}`);
    if (distribution === "uniform") t.true(Math.max(...noise.map(Math.abs)) <= Math.sqrt(3) * sigma * (1 + 1e-5));
    // float32 differences repeat a value now and then; reused noise would repeat whole blocks.
    t.true(new Set(noise).size >= 0.99 * n, "fresh noise for every sample and step");
    ff.dispose();
    p.dispose();
  }
});

test("the same seed repeats the same noise; another seed does not", async (t) => {
  const run = async (seed: number) => {
    const p = new LogisticProblem();
    const ff = await createFlatfit({ seed, plugins: [{ use: "nso", sigma: 0.1 }] }, quiet);
    const rec = new RecordingOptimizer(0.1);
    for (let s = 0; s < 5; s++) ff.step(p.loss, [p.w], rec).dispose();
    const out = rec.calls.map((c) => c[p.w.name]);
    ff.dispose();
    p.dispose();
    return out;
  };
  t.deepEqual(await run(1), await run(1));
  t.notDeepEqual(await run(1), await run(2));
});

test("keeps model.fit's contract (reported loss, BatchNorm statistics, no host reads, no leaks)", async (t) => {
  await checkFitContract(t, [{ use: "nso", sigma: 0.05, samples: 2 }]);
});

test("trains a small classifier inside model.fit well above chance", async (t) => {
  await checkTrainsBetterThanChance(t, [{ use: "nso", sigma: 0.01 }]);
});

const configError = (options: Record<string, unknown>): Promise<string> => pluginConfigError("nso", options);

test("bad options are rejected naming the plugin, the option and what is accepted", async (t) => {
  t.regex(await configError({ sigma: -0.01 }), /plugins\[0\] \(nso\) option "sigma": .*>0.*\(got -0\.01\)/);
  t.regex(await configError({ sigma: 0 }), /\(nso\) option "sigma": .*>0/);
  t.regex(await configError({ samples: 0 }), /\(nso\) option "samples": .*>=1.*\(got 0\)/);
  t.regex(await configError({ samples: 1.5 }), /\(nso\) option "samples": .*int/);
  t.regex(await configError({ distribution: "cauchy" }), /\(nso\) option "distribution": .*"gaussian".*"laplace".*"uniform".*\(got "cauchy"\)/);
  t.regex(await configError({ sigmaa: 0.1 }), /\(nso\): unknown option "sigmaa"; accepted: sigma, samples, distribution/);
});
