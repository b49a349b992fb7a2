/**
 * Noisy methods composed with Hessian methods, on a problem that is NOT quadratic (logistic
 * regression: the Hessian changes with W, so a finite difference taken across two different
 * noise draws is wrong by (u₂ − u₁)/ε, not by rounding). Within one step every call of a plugin's
 * oracle draws the same numbers (common random numbers), so the outer plugin's finite
 * differences measure the curvature of the inner plugin's (fixed-noise) objective:
 *
 *   [pertopt, grad-l1]: G(W') = ∇L(W' + u)               out = G(W) + λ·H(W + u)·sign(G(W))
 *   [nso, grad-l1]:     G(W') = ½[∇L(W'+U) + ∇L(W'−U)]    out = G(W) + λ·½[H(W+U) + H(W−U)]·sign(G(W))
 *   [pertopt, hero]:    g = G(W), g* = G(W*), out = g* + γ·2·H(W* + u)·(g* − g)
 *
 * The noise is read back from where the loss was evaluated; H is the analytic Hessian (float64).
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type PluginSpec } from "@flatfit/core";
import { add, captureStep, LogisticProblem, type CaptureOptions, RecordingOptimizer, relError, scale, sub, type Vec } from "@flatfit/testing";

const LAMBDA = 0.3;

/** Two steps (pertopt perturbs from its second step on); captureStep captures the second. */
const SECOND_STEP: CaptureOptions = { seed: 3, warmup: 1, learningRate: 0.5 };

const sign = (v: Vec) => v.map(Math.sign);

test("[pertopt, grad-l1]: grad-l1 differences pertopt's oracle at ONE noise draw: out = ∇L(W+u) + λ·H(W+u)·sign(∇L(W+u))", async (t) => {
  const problem = new LogisticProblem(64, 5, 11);
  const { start: W, grad, points } = await captureStep([{ use: "pertopt", gamma: 1, beta2: 1, eta: 1e-4 }, { use: "grad-l1", lambda: LAMBDA, unit: "step" }], problem.loss, [problem.w], SECOND_STEP);
  // clean forward at W; G(W) at W + u; G(W + ε·s) at W + ε·s + u
  t.is(points.length, 3);
  t.deepEqual(points[0], W);
  const u = sub(points[1], W);
  t.true(Math.hypot(...u) > 1e-2, "precondition: pertopt perturbs");
  const g = problem.grad(points[1]);
  const step = sub(points[2], points[1]);
  const eps = Math.max(...step.map(Math.abs));
  t.true(relError(step, scale(sign(g), eps)) < 1e-3, "the second evaluation moved along sign(g) only: the same noise u");
  const expected = add(g, scale(problem.hvp(sign(g), points[1]), LAMBDA));
  const err = relError(grad, expected);
  t.log(`relative error ${err.toExponential(2)} (bound 2e-3; with a fresh draw per call it was ~1e2)`);
  t.true(err < 2e-3, `relative error ${err}`);
  problem.dispose();
});

test("[nso, grad-l1]: on a non-quadratic loss: out = G(W) + λ·½[H(W+U) + H(W−U)]·sign(G(W)), G the ± average at one draw U", async (t) => {
  const problem = new LogisticProblem(64, 5, 12);
  const { start: W, grad, points } = await captureStep([{ use: "nso", sigma: 0.3 }, { use: "grad-l1", lambda: LAMBDA, unit: "step" }], problem.loss, [problem.w], SECOND_STEP);
  // clean forward at W; G(W): W + U, W − U; G(W + ε·s): W + ε·s + U, W + ε·s − U
  t.is(points.length, 5);
  const U = sub(points[1], W);
  t.true(relError(sub(W, points[2]), U) < 1e-5);
  const shift = sub(points[3], points[1]);
  t.true(relError(sub(points[4], points[2]), shift) < 1e-4, "both halves of the second pair moved by the same ε·s: the same U");
  const G = scale(add(problem.grad(points[1]), problem.grad(points[2])), 0.5);
  const s = sign(G);
  const hs = scale(add(problem.hvp(s, points[1]), problem.hvp(s, points[2])), 0.5);
  const expected = add(G, scale(hs, LAMBDA));
  const err = relError(grad, expected);
  t.log(`relative error ${err.toExponential(2)} (bound 2e-3)`);
  t.true(err < 2e-3, `relative error ${err}`);
  problem.dispose();
});

test("[pertopt, hero]: HERO's Hessian term is taken at one noise draw: out = g* + γ·2·H(W*+u)·(g* − g)", async (t) => {
  const problem = new LogisticProblem(64, 5, 13);
  const gamma = 0.5;
  const { start: W, grad, points } = await captureStep([{ use: "pertopt", gamma: 1, beta2: 1, eta: 1e-4 }, { use: "hero", h: 0.1, gamma }], problem.loss, [problem.w], SECOND_STEP);
  // clean forward at W; g = G(W) at W + u; g* = G(W*) at W* + u; G(W* + ε·d) at W* + ε·d + u
  t.is(points.length, 4);
  const u = sub(points[1], W);
  const g = problem.grad(points[1]);
  // W* from HERO's elementwise scaling, computed independently: z = (W⊙W/‖W‖)⊙g/‖g‖
  const nW = Math.hypot(...W);
  const ng = Math.hypot(...g);
  const Wstar = W.map((w, i) => w + 0.1 * ((w * w) / nW) * (g[i] / ng));
  t.true(relError(sub(points[2], u), Wstar) < 1e-5, "g* is taken at W* + u: the same noise as g");
  const gStar = problem.grad(points[2]);
  const expected = add(gStar, scale(problem.hvp(sub(gStar, g), points[2]), 2 * gamma));
  const err = relError(grad, expected);
  t.log(`relative error ${err.toExponential(2)} (bound 5e-3); the Hessian term's share ${relError(gStar, expected).toExponential(2)}`);
  t.true(relError(gStar, expected) > 20 * err, "precondition: the Hessian term is far above the error");
  t.true(err < 5e-3, `relative error ${err}`);
  problem.dispose();
});

/** An outer plugin that asks the oracle it wraps twice at the same weights and records both gradients. */
function twiceProbe(record: Array<[number[], number[]]>) {
  return class TwiceProbe {
    static readonly id = "twice-probe";
    apply(hooks: import("@flatfit/core").FlatfitHooks): void {
      hooks.gradient.tap("twice-probe", (oracle) => () => {
        const a = oracle();
        const b = oracle();
        const flat = (r: typeof a) => Object.values(r.grads).flatMap((x) => Array.from(x.dataSync()));
        record.push([flat(a), flat(b)]);
        tf.dispose([b.loss, ...Object.values(b.grads)]);
        return a;
      });
    }
  };
}

for (const inner of [
  { use: "nso", sigma: 0.2 },
  { use: "nso", sigma: 0.2, samples: 2, distribution: "laplace" },
  { use: "pertopt", gamma: 1, beta2: 1 },
  { use: "seht", lambda: 0.1, prob: 0.2, samples: 2 },
  { use: "hero" },
  { use: "grad-l1", lambda: 0.1, unit: "step" },
] as PluginSpec[]) {
  test(`common random numbers: ${JSON.stringify(inner)}'s oracle gives bit-identical gradients when asked twice in a step`, async (t) => {
    const problem = new LogisticProblem(32, 4, 21);
    const record: Array<[number[], number[]]> = [];
    const ff = await createFlatfit({ seed: 5, logLevel: "warn", plugins: [inner, { use: twiceProbe(record) }] });
    const rec = new RecordingOptimizer(0.5);
    for (let i = 0; i < 3; i++) ff.step(problem.loss, [problem.w], rec).dispose();
    t.is(record.length, 3);
    for (const [a, b] of record) t.deepEqual(b, a);
    // and the draws still change from step to step (noise, not a constant)
    if (inner.use !== "hero" && inner.use !== "grad-l1") {
      const g = (i: number) => record[i][0];
      t.notDeepEqual(sub(g(2), g(1)), [0, 0, 0, 0]);
    }
    ff.dispose();
    problem.dispose();
  });
}

test("an outer plugin's own draws are not replayed into the inner one: [nso, nso] draws two independent U", async (t) => {
  const problem = new LogisticProblem(32, 4, 22);
  const { start: W, points } = await captureStep([{ use: "nso", sigma: 0.2 }, { use: "nso", sigma: 0.2 }], problem.loss, [problem.w], { seed: 5 });
  // clean W; outer at W+V asks inner: W+V+U, W+V−U; outer at W−V: W−V+U, W−V−U (the same U both times)
  t.is(points.length, 5);
  const V = scale(add(sub(points[1], W), sub(points[2], W)), 0.5);
  const U = scale(sub(points[1], points[2]), 0.5);
  t.true(relError(scale(sub(points[3], points[4]), 0.5), U) < 1e-4, "the inner draw U is the same in both outer calls");
  t.true(relError(scale(add(sub(points[3], W), sub(points[4], W)), 0.5), scale(V, -1)) < 1e-4);
  t.true(relError(U, V) > 0.5, "U and V are different draws");
  problem.dispose();
});

