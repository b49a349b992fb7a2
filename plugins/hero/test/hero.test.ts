import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type FlatfitHooks, type GradientOracle, type PluginSpec } from "@flatfit/core";
import { blobs, captureStep, checkDifferenceOrder, checkFitContract, LogisticProblem, matVec, QuadraticProblem, RecordingOptimizer, relError, pluginConfigError, checkTrainsBetterThanChance } from "@flatfit/testing";
import Hero, { HeroPlugin, type HeroScaling } from "@flatfit/plugin-hero";

type Vec = number[];
const add = (a: Vec, b: Vec): Vec => a.map((x, i) => x + b[i]);
const sub = (a: Vec, b: Vec): Vec => a.map((x, i) => x - b[i]);
const scale = (a: Vec, s: number): Vec => a.map((x) => x * s);
const norm = (a: Vec): number => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
const safe = (n: number) => (n === 0 ? Infinity : n);

/** z in float64, per variable (the parts of the full vector given by `sizes`), as DESIGN.md defines it. */
function direction(W: Vec, g: Vec, sizes: number[], scaling: HeroScaling): Vec {
  if (scaling === "adaptive") {
    const n = norm(W.map((w, i) => Math.abs(w) * g[i]));
    return W.map((w, i) => (w * w * g[i]) / safe(n));
  }
  const out: Vec = [];
  let at = 0;
  for (const size of sizes) {
    const w = W.slice(at, at + size);
    const gi = g.slice(at, at + size);
    const wn = norm(w);
    const gn = safe(norm(gi));
    out.push(...(scaling === "layer" ? gi.map((x) => (wn * x) / gn) : w.map((x, k) => ((x * x) / safe(wn)) * (gi[k] / gn))));
    at += size;
  }
  return out;
}

/** HERO's output on the quadratic (H = A everywhere): g* + γ·2A(g* − g), with its intermediates. */
function expectedHero(problem: QuadraticProblem, h: number, gamma: number, scaling: HeroScaling) {
  const W = problem.weights();
  const g = problem.grad(W);
  const z = direction(W, g, [problem.split, problem.n - problem.split], scaling);
  const gStar = problem.grad(add(W, scale(z, h)));
  const out = add(gStar, scale(matVec(problem.A, sub(gStar, g)), 2 * gamma));
  return { g, z, gStar, out };
}

/** One step on the quadratic: the gradient handed on and the number of loss evaluations. */
async function heroStep(plugins: PluginSpec[], problem: QuadraticProblem): Promise<{ grad: Vec; evaluations: number }> {
  const { grad, points } = await captureStep(plugins, problem.loss, problem.variables);
  return { grad, evaluations: points.length };
}

test("exports the plugin class as default and by name, with id hero", (t) => {
  t.is(Hero, HeroPlugin);
  t.is(HeroPlugin.id, "hero");
});

for (const scaling of ["elementwise", "layer", "adaptive"] as const) {
  test(`${scaling} scaling: the step's gradient is g* + γ·2A(g* − g) at W* = W + h·z on the quadratic, in 3 evaluations`, async (t) => {
    const problem = new QuadraticProblem();
    const h = 0.5;
    const gamma = 0.1;
    const exp = expectedHero(problem, h, gamma, scaling);
    const { grad, evaluations } = await heroStep([{ use: "hero", h, gamma, scaling }], problem);
    const err = relError(grad, exp.out);
    t.log(`relative error ${err.toExponential(2)} (bound 1e-3); |g*−g|/|g| = ${relError(exp.gStar, exp.g).toFixed(3)}, Hessian-term share ${relError(exp.gStar, exp.out).toFixed(3)}`);
    t.true(err <= 1e-3, `relative error ${err}`);
    t.true(relError(exp.gStar, exp.g) > 0.05 && relError(exp.gStar, exp.out) > 0.05, "perturbation and Hessian term are both visible");
    t.is(evaluations, 3);
    problem.dispose();
  });

  test(`${scaling} scaling with gamma = 0: exactly the gradient at W + h·z, in 2 evaluations`, async (t) => {
    const problem = new QuadraticProblem([3, 2, 1, 0.5, 0.2], 3, 5);
    const h = 0.7;
    const exp = expectedHero(problem, h, 0, scaling);
    const { grad, evaluations } = await heroStep([{ use: "hero", h, gamma: 0, scaling }], problem);
    const err = relError(grad, exp.gStar);
    t.log(`relative error ${err.toExponential(2)} (bound 1e-6)`);
    t.true(err <= 1e-6, `relative error ${err}`);
    t.true(relError(exp.gStar, exp.g) > 0.05, "the perturbation moves the gradient");
    t.is(evaluations, 2);
    problem.dispose();
  });
}

test("the three scalings give different perturbations (the option is honoured)", async (t) => {
  const problem = new QuadraticProblem();
  const grads: Vec[] = [];
  for (const scaling of ["elementwise", "layer", "adaptive"] as const) {
    grads.push((await heroStep([{ use: "hero", h: 0.5, gamma: 0, scaling }], problem)).grad);
  }
  t.true(relError(grads[0], grads[1]) > 0.01);
  t.true(relError(grads[0], grads[2]) > 0.01);
  t.true(relError(grads[1], grads[2]) > 0.01);
  problem.dispose();
});

test("zero weights and zero gradients give a zero perturbation, not NaN", async (t) => {
  // L = Σ (a − c)² + 0·Σ b: a starts at 0 (‖W_a‖ = 0), b has an exactly zero gradient (‖g_b‖ = 0).
  const c = tf.tensor1d([1, -2, 0.5]);
  const a = tf.variable(tf.zeros([3]), true, "hero_zero_a");
  const b = tf.variable(tf.tensor1d([0.3, -0.4]), true, "hero_zero_b");
  const loss = () => tf.tidy(() => tf.add(tf.sum(tf.square(tf.sub(a, c))), tf.mul(0, tf.sum(b))) as tf.Scalar);
  for (const scaling of ["elementwise", "layer", "adaptive"] as const) {
    const ff = await createFlatfit({ seed: 1, logLevel: "warn", plugins: [{ use: "hero", h: 0.5, gamma: 0.5, scaling }] });
    const rec = new RecordingOptimizer(0);
    ff.step(loss, [a, b], rec).dispose();
    const got = rec.last([a.name, b.name]);
    t.true(got.every(Number.isFinite), `${scaling}: finite gradient (${got})`);
    // a = 0 so z_a = 0 for every scaling (elementwise/adaptive: W⊙W = 0; layer: ‖W_a‖ = 0), and z_b = 0: W* = W.
    t.true(relError(got, [-2, 4, -1, 0, 0]) <= 1e-6, `${scaling}: ${got}`);
    ff.dispose();
  }
  tf.dispose([a, b, c]);
});

test("composition [grad-l1, hero]: hero wraps grad-l1's oracle (the composed math on the quadratic)", async (t) => {
  const problem = new QuadraticProblem();
  const lambda = 0.2;
  const h = 0.5;
  const gamma = 0.1;
  const A = problem.A;
  // grad-l1 as an oracle: W ↦ ∇L(W) + λ·A·sign(∇L(W)) (its H·sign(g) is exact on a quadratic).
  const gradL1 = (w: Vec): Vec => {
    const g = problem.grad(w);
    return add(g, scale(matVec(A, g.map(Math.sign)), lambda));
  };
  const W = problem.weights();
  const g1 = gradL1(W);
  const z = direction(W, g1, [problem.split, problem.n - problem.split], "elementwise");
  const wStar = add(W, scale(z, h));
  const g1Star = gradL1(wStar);
  const d = sub(g1Star, g1);
  const expected = add(g1Star, scale(matVec(A, d), 2 * gamma));
  // hero's finite-difference HVP of the grad-l1 oracle at W* equals A·d when no gradient sign flips
  // between W* and W* + ε·d (ε = 1e-3·max(‖W*‖, 1)/‖d‖): check that this precondition holds.
  const eps = (1e-3 * Math.max(norm(wStar), 1)) / norm(d);
  const gAtStar = problem.grad(wStar);
  const gNext = problem.grad(add(wStar, scale(d, eps)));
  t.deepEqual(gNext.map(Math.sign), gAtStar.map(Math.sign), "precondition: no sign flip within the finite-difference step");

  const { grad, evaluations } = await heroStep(
    [
      { use: "grad-l1", lambda, unit: "step" },
      { use: "hero", h, gamma },
    ],
    problem,
  );
  const err = relError(grad, expected);
  // The reverse order would give a different gradient: the check tells the orders apart.
  const heroOnly = expectedHero(problem, h, gamma, "elementwise").out;
  // Bound 2e-3, not 1e-3: hero's finite difference here differentiates grad-l1's output, which
  // itself carries the rounding error of grad-l1's own finite difference (nested differences).
  t.log(`relative error ${err.toExponential(2)} (bound 2e-3); distance to hero alone ${relError(heroOnly, expected).toFixed(3)}`);
  t.true(err <= 2e-3, `relative error ${err}`);
  t.true(relError(heroOnly, expected) > 0.05);
  t.is(evaluations, 6, "hero calls the grad-l1 oracle 3 times, 2 evaluations each");
  problem.dispose();
});

/**
 * A plugin listed before hero that records, at every gradient evaluation of the step, the weights
 * and the gradient the base oracle returned (host reads: tests only).
 */
function gradientProbe(): { plugin: unknown; calls: Array<{ w: Vec; g: Vec }> } {
  const calls: Array<{ w: Vec; g: Vec }> = [];
  const plugin = class GradientProbe {
    static readonly id = "gradient-probe";
    apply(hooks: FlatfitHooks): void {
      hooks.gradient.tap("gradient-probe", (oracle: GradientOracle, ctx): GradientOracle => () => {
        const r = oracle();
        calls.push({ w: ctx.variables.flatMap((v) => Array.from(v.dataSync())), g: ctx.variables.flatMap((v) => Array.from(r.grads[v.name].dataSync())) });
        return r;
      });
    }
  };
  return { plugin, calls };
}

/**
 * One hero step on logistic regression (not quadratic: H depends on W) with the config's `hvp`
 * settings. The Hessian term hero added, (out − g*)/2γ, against the analytic H(W*)·d, with W*, g and
 * g* = ∇L(W*) exactly as the step evaluated them (d = g* − g); and the closure calls of the step.
 */
async function heroHessianTermError(method: "forward" | "central", relativeStep?: number): Promise<{ err: number; evaluations: number; dShare: number }> {
  const problem = new LogisticProblem();
  const gamma = 0.5;
  const probe = gradientProbe();
  try {
    const plugins = [{ use: probe.plugin as never }, { use: "hero", h: 0.5, gamma }];
    const { grad, points } = await captureStep(plugins, problem.loss, [problem.w], { hvp: { method, relativeStep } });
    const [clean, star] = probe.calls;
    const d = sub(star.g, clean.g);
    const term = scale(sub(grad, star.g), 1 / (2 * gamma));
    return { err: relError(term, problem.hvp(d, star.w)), evaluations: points.length, dShare: relError(star.g, clean.g) };
  } finally {
    problem.dispose();
  }
}

test("hvp.method from the config reaches the Hessian term: \"central\" is second-order accurate (vs analytic H(W*)·d on logistic regression) for one more gradient evaluation", async (t) => {
  await checkDifferenceOrder(t, heroHessianTermError, {
    quantity: "H(W*)·d",
    evaluations: {
      forward: { count: 3, what: "g, g*, ∇L(W* + ε·d) (g* reused)" },
      central: { count: 4, what: "g, g*, ∇L(W* ± ε·d)" },
    },
    inspect: ({ forward }) => {
      t.log(`|g*−g|/|g| = ${forward.dShare.toFixed(3)}`);
      t.true(forward.dShare > 0.02, "the perturbation moves the gradient (d is not noise)");
    },
  });
  // gamma = 0 makes no Hessian product: 2 evaluations whatever the method.
  for (const method of ["forward", "central"] as const) {
    const problem = new LogisticProblem();
    const { points } = await captureStep([{ use: "hero", gamma: 0 }], problem.loss, [problem.w], { hvp: { method } });
    t.is(points.length, 2, `gamma = 0 with ${method}`);
    problem.dispose();
  }
});

test("keeps fit's contract (reported loss/acc, BatchNorm statistics, no host reads, no leaks)", async (t) => {
  await checkFitContract(t, [{ use: "hero", h: 0.5, gamma: 0.1 }]);
});

test("keeps fit's contract with the adaptive scaling and gamma = 0", async (t) => {
  await checkFitContract(t, [{ use: "hero", scaling: "adaptive", gamma: 0 }]);
});

test("trains a small MLP on blobs through model.fit far better than chance", async (t) => {
  await checkTrainsBetterThanChance(t, [{ use: "hero", h: 0.05, gamma: 0.1 }]);
});

const configError = (options: Record<string, unknown>): Promise<string> => pluginConfigError("hero", options);

test("defaults are h = 0.5, gamma = 0.1, scaling elementwise", async (t) => {
  const ff = await createFlatfit({ logLevel: "warn", plugins: [{ use: "hero" }] });
  t.deepEqual(ff.plugin<HeroPlugin>(0).opts, { h: 0.5, gamma: 0.1, scaling: "elementwise" });
  ff.dispose();
});

test("option errors name the plugin, the field and what is accepted", async (t) => {
  const gamma = await configError({ gamma: -0.1 });
  t.regex(gamma, /hero/);
  t.regex(gamma, /"gamma"/);
  t.regex(gamma, /≥ 0/);

  const h = await configError({ h: 0 });
  t.regex(h, /hero.*"h".*> 0/);

  const scaling = await configError({ scaling: "global" });
  t.regex(scaling, /hero.*"scaling".*"elementwise"\|"layer"\|"adaptive"/);

  const unknown = await configError({ rho: 0.05 });
  t.regex(unknown, /hero.*unknown option "rho"; accepted: h, gamma, scaling/);
});
