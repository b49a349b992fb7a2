import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type FlatfitConfig, type FlatfitHooks, type GradientOracle, type StepContext } from "@flatfit/core";
import { PertoptPlugin } from "@flatfit/plugin-pertopt";
import { LogisticProblem, QuadraticProblem, RecordingOptimizer, blobs, checkFitContract, mlp, relError, weightsOf, pluginConfigError, checkTrainsBetterThanChance, saveToMemory, onBackend, UNFUSED_BACKEND } from "@flatfit/testing";

const quiet = { logSink: () => {} };
const DEFAULTS = { eta: 0.01, gamma: 0.1, beta1: 0.999, beta2: 0.1, epsilon: 1e-5 };
type Opts = typeof DEFAULTS;

const sigmaOf = (plugin: PertoptPlugin, names: string[]): number[] => {
  const map = plugin.lastSigma();
  return names.flatMap((n) => Array.from(map[n].dataSync()));
};

/**
 * Algorithm 1 in float64, from recorded weights and gradients only: `weights[s]` are the weights
 * before step s, `grads[s]` the gradient step s handed to the optimizer, `epochs[s]` the 0-based
 * epoch of step s. Returns σ of every step and which branch of the min was taken.
 */
function referenceSigma(o: Opts, weights: number[][], grads: number[][], epochs: number[]): { sigma: number[][]; branch: string[][] } {
  const d = weights[0].length;
  let hPrev = new Array(d).fill(0);
  let h = new Array(d).fill(0);
  const sigma: number[][] = [];
  const branch: string[][] = [];
  for (let s = 0; s < grads.length; s++) {
    if (s === 0) {
      sigma.push(new Array(d).fill(0));
      branch.push(new Array(d).fill("first"));
    } else {
      const L = Math.log(1 + (epochs[s] + 1));
      const moved = Math.sqrt(weights[s].reduce((acc, w, i) => acc + (w - weights[s - 1][i]) ** 2, 0));
      const row: number[] = [];
      const br: string[] = [];
      for (let i = 0; i < d; i++) {
        const rho = moved === 0 ? 0 : Math.abs(h[i] - hPrev[i]) / moved;
        const kappa = (o.gamma / L) * Math.abs(weights[s - 1][i]) + o.epsilon;
        const bound = 1 / (L * Math.sqrt(o.eta * (h[i] + rho * kappa)));
        const masked = !(Math.abs(grads[s - 1][i]) < o.beta2);
        row.push(masked ? 0 : Math.min(bound, kappa));
        br.push(masked ? "masked" : bound < kappa ? "bound" : "kappa");
      }
      sigma.push(row);
      branch.push(br);
    }
    hPrev = h;
    h = h.map((hi, i) => o.beta1 * hi + (1 - o.beta1) * grads[s][i] ** 2);
  }
  return { sigma, branch };
}

test("the default export is the plugin class, with the paper's defaults", async (t) => {
  const ff = await createFlatfit({ plugins: [{ use: "pertopt" }] }, quiet);
  const plugin = ff.plugin<PertoptPlugin>(0);
  t.true(plugin instanceof PertoptPlugin);
  t.deepEqual(plugin.options, DEFAULTS);
  t.deepEqual(plugin.getState(), {}, "no state before the first step");
  ff.dispose();
});

test("the first step is unperturbed: the gradient handed on is exactly the clean gradient, in one evaluation", async (t) => {
  const p = new LogisticProblem();
  const clean = tf.variableGrads(p.loss, [p.w]);
  const expected = Array.from(clean.grads[p.w.name].dataSync());
  tf.dispose([clean.value, ...Object.values(clean.grads)]);
  let calls = 0;
  const loss = () => {
    calls++;
    return p.loss();
  };
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "pertopt", gamma: 1, beta2: 10 }] }, quiet);
  const plugin = ff.plugin<PertoptPlugin>(0);
  const rec = new RecordingOptimizer(0.5);
  ff.step(loss, [p.w], rec).dispose();
  t.deepEqual(rec.last([p.w.name]), expected);
  t.is(calls, 1, "one evaluation on the first step");
  t.deepEqual(sigmaOf(plugin, [p.w.name]), [0, 0, 0, 0, 0]);
  ff.step(loss, [p.w], rec).dispose();
  t.is(calls, 3, "later steps: the clean forward pass + one perturbed gradient");
  t.true(sigmaOf(plugin, [p.w.name]).every((s) => s > 0), "perturbed from the second step on");
  t.is(plugin.steps, 2);
  ff.dispose();
  p.dispose();
});

const CONFIGS: Array<{ name: string; opts: Partial<Opts>; lr: number }> = [
  { name: "defaults", opts: {}, lr: 0.5 },
  { name: "curvature-bound regime", opts: { eta: 3e5, gamma: 1, beta2: 0.15 }, lr: 0.5 },
  { name: "weights that do not move (ρ guard)", opts: { eta: 3e5, gamma: 1, beta1: 0.9, beta2: 10 }, lr: 0 },
];

for (const backend of ["cpu", UNFUSED_BACKEND]) {
  test(`σ after each step equals an independent float64 evaluation of Algorithm 1 (${backend}: ${backend === "cpu" ? "fused kernels" : "their tf-ops path"})`, async (t) => {
    await onBackend(backend, async () => {
      const seen = new Set<string>();
      for (const { name, opts, lr } of CONFIGS) {
        const o = { ...DEFAULTS, ...opts };
        const p = new LogisticProblem();
        const ff = await createFlatfit({ seed: 4, plugins: [{ use: "pertopt", ...opts }] }, quiet);
        const plugin = ff.plugin<PertoptPlugin>(0);
        const rec = new RecordingOptimizer(lr);
        const epochs = [0, 0, 0, 1, 1, 1, 4, 4];
        const weights: number[][] = [];
        const sigmas: number[][] = [];
        for (const epoch of epochs) {
          ff.engine.epoch = epoch; // what ff.callbacks() does at the start of each fit epoch
          weights.push(p.weights());
          ff.step(p.loss, [p.w], rec).dispose();
          sigmas.push(sigmaOf(plugin, [p.w.name]));
        }
        const ref = referenceSigma(o, weights, rec.calls.map((c) => c[p.w.name]), epochs);
        let worst = 0;
        for (let s = 0; s < epochs.length; s++) {
          for (let i = 0; i < sigmas[s].length; i++) {
            const [got, want] = [sigmas[s][i], ref.sigma[s][i]];
            seen.add(ref.branch[s][i]);
            const err = want === 0 ? Math.abs(got) : Math.abs(got - want) / want;
            worst = Math.max(worst, err);
            if (!(err <= 1e-5)) t.fail(`${name}, step ${s}, entry ${i} (${ref.branch[s][i]}): σ = ${got}, reference ${want}`);
          }
        }
        t.log(`${name}: worst relative difference ${worst.toExponential(2)}; branches ${[...new Set(ref.branch.flat())].join(", ")}`);
        ff.dispose();
        p.dispose();
      }
      t.deepEqual([...seen].sort(), ["bound", "first", "kappa", "masked"], "every branch of the formula was exercised");
    });
  });
}

/** Solves A x = r (float64, Gaussian elimination with partial pivoting). */
function solve(A: number[][], r: number[]): number[] {
  const n = r.length;
  const m = A.map((row, i) => [...row, r[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(m[i][c]) > Math.abs(m[piv][c])) piv = i;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let i = c + 1; i < n; i++) {
      const f = m[i][c] / m[c][c];
      for (let k = c; k <= n; k++) m[i][k] -= f * m[c][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let i = n - 1; i >= 0; i--) x[i] = (m[i][n] - m[i].slice(i + 1, n).reduce((s, a, k) => s + a * x[i + 1 + k], 0)) / m[i][i];
  return x;
}

test("the gradient handed on is ∇L(W + u) with u uniform in [−σ, σ]", async (t) => {
  const p = new QuadraticProblem();
  const names = p.variables.map((v) => v.name);
  const ff = await createFlatfit({ seed: 6, plugins: [{ use: "pertopt", gamma: 0.5, beta2: 1.5 }] }, quiet);
  const plugin = ff.plugin<PertoptPlugin>(0);
  const rec = new RecordingOptimizer(0.02);
  const ratios: number[] = [];
  let masked = 0;
  for (let s = 0; s < 300; s++) {
    const w = p.weights();
    ff.step(p.loss, p.variables, rec).dispose();
    const sigma = sigmaOf(plugin, names);
    // ∇L(W + u) = A(W + u) − b  ⇒  u = A⁻¹(out − ∇L(W))
    const u = solve(p.A, rec.last(names).map((x, i) => x - p.grad(w)[i]));
    for (let i = 0; i < u.length; i++) {
      if (Math.abs(u[i]) > sigma[i] + 1e-4) t.fail(`step ${s}: |u| = ${Math.abs(u[i])} > σ = ${sigma[i]}`);
      if (sigma[i] === 0) masked++;
      else if (sigma[i] > 0.01) ratios.push(u[i] / sigma[i]);
    }
  }
  const n = ratios.length;
  const mean = ratios.reduce((a, b) => a + b, 0) / n;
  const second = ratios.reduce((a, b) => a + b * b, 0) / n;
  t.log(`${n} perturbed entries: mean u/σ ${mean.toFixed(3)}, mean (u/σ)² ${second.toFixed(3)} (uniform: 0, 1/3); ${masked} masked`);
  t.true(n > 1000 && masked > 0);
  t.true(Math.abs(mean) < 0.05);
  t.true(Math.abs(second - 1 / 3) < 0.03);
  ff.dispose();
  p.dispose();
});

/** Placed first (wrapping the base oracle): records every point the later plugins evaluate. */
class PointProbe {
  static id = "point-probe";
  readonly points: number[][] = [];
  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap(PointProbe.id, (oracle: GradientOracle, ctx: StepContext) => () => {
      this.points.push(ctx.variables.flatMap((v) => Array.from(v.dataSync())));
      return oracle();
    });
  }
}

test("composed with nso: pertopt moves to W + u, nso averages ∇L(W + u ± U) there", async (t) => {
  const p = new QuadraticProblem();
  const names = p.variables.map((v) => v.name);
  const ff = await createFlatfit(
    { seed: 8, plugins: [{ use: PointProbe }, { use: "nso", sigma: 0.05 }, { use: "pertopt", gamma: 0.5, beta2: 2 }] },
    quiet,
  );
  const probe = ff.plugin<PointProbe>(0);
  const pert = ff.plugin<PertoptPlugin>(2);
  const rec = new RecordingOptimizer(0.02);
  let perturbed = 0;
  for (let s = 0; s < 20; s++) {
    const w = p.weights();
    probe.points.length = 0;
    ff.step(p.loss, p.variables, rec).dispose();
    t.is(probe.points.length, 2, "nso's two points, nothing else");
    const mid = probe.points[0].map((x, i) => (x + probe.points[1][i]) / 2);
    const u = mid.map((x, i) => x - w[i]);
    const sigma = sigmaOf(pert, names);
    for (let i = 0; i < u.length; i++) {
      if (Math.abs(u[i]) > sigma[i] * (1 + 1e-5) + 1e-6) t.fail(`step ${s}: pertopt offset ${u[i]} beyond σ ${sigma[i]}`);
      if (Math.abs(u[i]) > 1e-4) perturbed++;
    }
    if (s === 0) t.true(u.every((x) => Math.abs(x) <= 1e-7), "first step: nso around the clean weights");
    // Composed math on the quadratic: ½[A(W+u+U) − b + A(W+u−U) − b] = A(W + u) − b.
    const err = relError(rec.last(names), p.grad(mid));
    if (err > 1e-4) t.fail(`step ${s}: composed gradient off by ${err}`);
  }
  t.true(perturbed > 20, `pertopt perturbed ${perturbed} entries`);
  ff.dispose();
  p.dispose();
});

/** Saves a model (with optimizer) into memory and loads it back. */
async function roundTrip(model: tf.LayersModel): Promise<{ loaded: tf.LayersModel; savedStateNames: string[] }> {
  const saved = await saveToMemory(model);
  // flatfit's state rides in the saved optimizer config, under "flatfit"
  const config = (saved.trainingConfig as unknown as { optimizer_config: { config: { flatfit?: { weights: Record<string, unknown> } } } }).optimizer_config.config;
  return { loaded: await tf.loadLayersModel(tf.io.fromMemory(saved)), savedStateNames: Object.keys(config.flatfit?.weights ?? {}) };
}

const stateArrays = (plugin: PertoptPlugin): Record<string, number[]> =>
  Object.fromEntries(Object.entries(plugin.getState()).map(([k, v]) => [k, Array.from(v.dataSync())]));

test("save with includeOptimizer, load, attach to a new instance: training continues with identical state", async (t) => {
  const config: FlatfitConfig = { seed: 12, logLevel: "warn", plugins: [{ use: "pertopt", gamma: 1, beta2: 1 }] };
  const { x, y } = blobs(96, 4, 3, 3, 2);
  const half = 3;
  const fit = (m: tf.LayersModel, cb: tf.Callback, from: number) =>
    m.fit(x, y, { epochs: from + half, initialEpoch: from, batchSize: 32, shuffle: false, verbose: 0, callbacks: [cb] });
  const firstHalf = async () => {
    const ff = await createFlatfit(config);
    const m = mlp(4);
    m.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy" });
    await fit(m, ff.callbacks(), 0);
    return { ff, m };
  };

  // Saved and reloaded.
  const a = await firstHalf();
  const stateAtSave = stateArrays(a.ff.plugin<PertoptPlugin>(0));
  t.is(stateAtSave["t"][0], 3 * half, "one plugin step per batch");
  const { loaded, savedStateNames } = await roundTrip(a.m);
  t.true(savedStateNames.includes("pertopt#0/h/0"), `saved flatfit state: ${savedStateNames.join(", ")}`);
  const ffA = await createFlatfit(config);
  ffA.attach(loaded);
  t.deepEqual(stateArrays(ffA.plugin<PertoptPlugin>(0)), stateAtSave, "plugin state round-trips through save/load");
  await fit(loaded, ffA.callbacks(), half);

  // Never serialized: the same model object goes on; a new instance gets the state in memory.
  const b = await firstHalf();
  const ffB = await createFlatfit(config);
  ffB.attach(b.m);
  ffB.plugin<PertoptPlugin>(0).setState(b.ff.plugin<PertoptPlugin>(0).getState());
  // a save also carries the instance's step count and random stream position
  ffB.random.state = b.ff.random.state;
  ffB.engine.step = b.ff.engine.step;
  await fit(b.m, ffB.callbacks(), half);

  // Control: a new instance without the state starts over at t = 0.
  const c = await firstHalf();
  const ffC = await createFlatfit(config);
  ffC.attach(c.m);
  await fit(c.m, ffC.callbacks(), half);

  t.deepEqual(weightsOf(loaded), weightsOf(b.m), "resumed from a save = continued in memory, bit for bit");
  t.deepEqual(stateArrays(ffA.plugin<PertoptPlugin>(0)), stateArrays(ffB.plugin<PertoptPlugin>(0)));
  t.is(ffA.plugin<PertoptPlugin>(0).steps, 6 * half);
  t.notDeepEqual(weightsOf(c.m), weightsOf(b.m), "without the restored state training differs");
  t.is(ffC.plugin<PertoptPlugin>(0).steps, 3 * half);

  for (const ff of [a.ff, ffA, b.ff, ffB, c.ff, ffC]) ff.dispose();
  for (const m of [a.m, loaded, b.m, c.m]) m.dispose();
  tf.dispose([x, y]);
});

test("restoring state into a model with other variables fails clearly", async (t) => {
  const p = new LogisticProblem();
  const q = new QuadraticProblem();
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "pertopt" }] }, quiet);
  const rec = new RecordingOptimizer(0.1);
  ff.step(p.loss, [p.w], rec).dispose();
  const other = await createFlatfit({ seed: 1, plugins: [{ use: "pertopt" }] }, quiet);
  other.plugin<PertoptPlugin>(0).setState(ff.plugin<PertoptPlugin>(0).getState());
  t.throws(() => other.step(q.loss, q.variables, rec), { message: /pertopt: its state holds 1 tensors shaped \[5,1\], but this step trains 2 variables/ });
  for (const f of [ff, other]) f.dispose();
  p.dispose();
  q.dispose();
});

/** Two variables of one shape, each its own quadratic (curvatures 1 and 4): their σ differ once they have state. */
function twoQuadratics(tag: string) {
  const a = tf.variable(tf.tensor1d([0.3, -0.2, 0.1]), true, `pertopt-${tag}-a`);
  const b = tf.variable(tf.tensor1d([0.2, 0.25, -0.15]), true, `pertopt-${tag}-b`);
  const loss = () => tf.tidy(() => tf.add(tf.sum(tf.square(a)), tf.mul(4, tf.sum(tf.square(b)))) as tf.Scalar);
  return { a, b, loss, dispose: () => tf.dispose([a, b]) };
}

test("state follows each variable by name: the same variables in another order give each its own σ (not its position's)", async (t) => {
  const opts = { use: "pertopt", gamma: 1, beta1: 0.5, beta2: 10 }; // β₂ 10: no gradient masked
  const sigmas = [];
  for (const swap of [false, true]) {
    const q = twoQuadratics(swap ? "swapped" : "same");
    const ff = await createFlatfit({ seed: 3, plugins: [opts] }, quiet);
    const sgd = tf.train.sgd(0.05);
    ff.step(q.loss, [q.a, q.b], sgd).dispose();
    ff.step(q.loss, [q.a, q.b], sgd).dispose();
    ff.step(q.loss, swap ? [q.b, q.a] : [q.a, q.b], sgd).dispose();
    const sigma = ff.plugin<PertoptPlugin>(0).lastSigma();
    sigmas.push({ a: Array.from(sigma[q.a.name].dataSync()), b: Array.from(sigma[q.b.name].dataSync()) });
    ff.dispose();
    sgd.dispose();
    q.dispose();
  }
  const [same, swapped] = sigmas;
  t.true(same.a.every((v) => v > 0) && same.b.every((v) => v > 0));
  t.true(relError(same.a, same.b) > 0.1, "a's and b's σ differ, so a mix-up would show");
  t.true(relError(swapped.a, same.a) < 1e-6, `a: ${swapped.a} vs ${same.a}`);
  t.true(relError(swapped.b, same.b) < 1e-6, `b: ${swapped.b} vs ${same.b}`);
});

test("a variable that joins the step starts unperturbed, then is perturbed; one that leaves keeps its state until it returns", async (t) => {
  const q = twoQuadratics("join");
  const seen: Array<{ a: number[]; b: number[] }> = [];
  const loss = () => {
    seen.push({ a: Array.from(q.a.dataSync()), b: Array.from(q.b.dataSync()) });
    return q.loss();
  };
  const ff = await createFlatfit({ seed: 5, plugins: [{ use: "pertopt", gamma: 1, beta2: 10 }] }, quiet);
  const plugin = ff.plugin<PertoptPlugin>(0);
  const sgd = tf.train.sgd(0.05);
  const step = (vars: tf.Variable[]) => {
    seen.length = 0;
    const before = { a: Array.from(q.a.dataSync()), b: Array.from(q.b.dataSync()) };
    ff.step(loss, vars, sgd).dispose();
    return { before, seen: [...seen] };
  };
  step([q.a]);
  step([q.a]);
  const joined = step([q.a, q.b]);
  t.true(joined.seen.every((s) => JSON.stringify(s.b) === JSON.stringify(joined.before.b)), "b is evaluated at its own value on its first step");
  t.true(joined.seen.some((s) => JSON.stringify(s.a) !== JSON.stringify(joined.before.a)), "a is perturbed in that step");
  t.deepEqual(Array.from(plugin.lastSigma()[q.b.name].dataSync()), [0, 0, 0]);
  const next = step([q.a, q.b]);
  t.true(next.seen.some((s) => JSON.stringify(s.b) !== JSON.stringify(next.before.b)), "b is perturbed from its second step on");
  const sigmaB = Array.from(plugin.lastSigma()[q.b.name].dataSync());
  t.true(sigmaB.every((v) => v > 0));
  // b leaves for a step and comes back with its parked state: perturbed at once (a new start would give σ = 0)
  step([q.a]);
  step([q.a, q.b]);
  t.true(Array.from(plugin.lastSigma()[q.b.name].dataSync()).every((v) => v > 0), "b is perturbed at once when it returns (its parked state, not a new start)");
  t.is(plugin.steps, 6);
  ff.dispose();
  sgd.dispose();
  q.dispose();
});

test("inside model.fit the trainable set may change between fits (frozen base, then unfrozen and compiled again, then frozen without compiling): it trains, frozen weights stay put, no tensor is left", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "pertopt" }] }, quiet);
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3], activation: "tanh" }), tf.layers.dense({ units: 1 })] });
  const x = tf.randomNormal([16, 3], 0, 1, "float32", 1);
  const y = tf.randomNormal([16, 1], 0, 1, "float32", 2);
  const base = () => model.layers[0].getWeights().map((w) => Array.from(w.dataSync()));
  model.layers[0].trainable = false;
  model.compile({ optimizer: tf.train.sgd(0.05), loss: "meanSquaredError" });
  ff.attach(model);
  const frozen = base();
  await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  t.deepEqual(base(), frozen, "phase 1: the frozen base does not move");
  model.layers[0].trainable = true;
  model.compile({ optimizer: tf.train.sgd(0.05), loss: "meanSquaredError" });
  const h1 = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  const tensors = tf.memory().numTensors;
  const h2 = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  t.is(tf.memory().numTensors, tensors, "a second fit of one phase leaves no tensor");
  t.notDeepEqual(base(), frozen, "phase 2: the unfrozen base trains");
  t.true([...h1.history.loss, ...h2.history.loss].every((l) => Number.isFinite(l as number)));
  model.layers[0].trainable = false;
  const before = base();
  await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
  t.deepEqual(base(), before, "phase 3: frozen after compile, the base does not move");
  t.is(Object.keys(ff.plugin<PertoptPlugin>(0).lastSigma()).length, 2, "the last step perturbed only the head's kernel and bias");
  t.is(ff.plugin<PertoptPlugin>(0).steps, 2 * 2 + 2 * 2 * 2 + 2);
  ff.dispose();
  model.dispose();
  tf.dispose([x, y]);
});

test("keeps model.fit's contract (reported loss, BatchNorm statistics, no host reads, no leaks)", async (t) => {
  await checkFitContract(t, [{ use: "pertopt", gamma: 1, beta2: 1 }]);
});

test("trains a small classifier inside model.fit well above chance", async (t) => {
  await checkTrainsBetterThanChance(t, [{ use: "pertopt" }], {
    inspect: (ff) =>
      t.true(Object.values(ff.plugin<PertoptPlugin>(0).lastSigma()).some((s) => s.max().dataSync()[0] > 0), "the last steps were perturbed"),
  });
});

const configError = (options: Record<string, unknown>): Promise<string> => pluginConfigError("pertopt", options);

test("bad options are rejected naming the plugin, the option and what is accepted", async (t) => {
  t.regex(await configError({ eta: 0 }), /plugins\[0\] \(pertopt\) option "eta": .*>0.*\(got 0\)/);
  t.regex(await configError({ gamma: -1 }), /\(pertopt\) option "gamma": .*>=0.*\(got -1\)/);
  t.regex(await configError({ beta1: 1 }), /\(pertopt\) option "beta1": .*<1.*\(got 1\)/);
  t.regex(await configError({ beta1: -0.1 }), /\(pertopt\) option "beta1": .*>=0/);
  t.regex(await configError({ beta2: 0 }), /\(pertopt\) option "beta2": .*>0/);
  t.regex(await configError({ epsilon: -1e-5 }), /\(pertopt\) option "epsilon": .*>0/);
  t.regex(await configError({ eta: "big" }), /\(pertopt\) option "eta": .*expected number.*"big"/);
  t.regex(await configError({ lr: 0.1 }), /\(pertopt\): unknown option "lr"; accepted: eta, gamma, beta1, beta2, epsilon/);
});
