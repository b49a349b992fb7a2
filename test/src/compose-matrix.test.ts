/**
 * Every ordered pair [A, B] of the built-in gradient plugins (issue #11): A wraps the base
 * oracle, B wraps A. Checked on logistic regression (not quadratic: the Hessian changes with W,
 * so a finite difference taken across two different draws of the noise is wrong by far more than
 * rounding) against a float64 reference interpreter of the composed math (compose-reference.ts).
 *
 * Each test runs two steps (pertopt perturbs from its second step on) and records the weights at
 * every closure evaluation of the second. The reference replays the step: it predicts every
 * evaluation point, reads each method's draw (nso's U, pertopt's u, seht's σ) from the tape the
 * first time that method needs it and reuses it afterwards — so a plugin that drew again on a
 * later call of its oracle (breaking common random numbers) shows up as a point that is not
 * where the reference predicts — and computes the composed gradient from the analytic gradients
 * at the recorded points. flatfit's final gradient (from captureStep) must match it.
 *
 * Also checked per pair: the number of closure evaluations; the clean forward pass first when the
 * chain's first evaluation is perturbed; the draws read back are plausible (seht's offsets in
 * {−ε, 0, +ε} with ε from its formula, nso's ± pairs symmetric about the point, pertopt's
 * |u_i| ≤ κ_i); two instances of one method draw independently; and each method's share of the
 * result stands well above the tolerance (a result without it would fail). The pairs with
 * grad-l1 or hero run again with hvp.method "central".
 *
 * What the points cannot show: [pertopt, pertopt] evaluates once, at W + u₁ + u₂, so only the sum
 * of the two draws is seen.
 */
import test, { type ExecutionContext } from "ava";
import type { PluginSpec } from "@flatfit/core";
import { captureStep, LogisticProblem, relError, sub, type Vec } from "@flatfit/testing";
import { Interpreter, METHODS, type Draws, type Method, type MethodParams } from "./compose-reference";

const PARAMS: MethodParams = {
  // Two ± pairs: in [pertopt, nso] a redrawn u would go unseen with one pair (each pair's two
  // points fix its own U and u), with two it moves the second pair's midpoint.
  nso: { sigma: 0.3, samples: 2 },
  seht: { lambda: 0.1, prob: 0.35 },
  "grad-l1": { lambda: 0.3 },
  pertopt: { eta: 1e-4, gamma: 0.3, beta2: 1, epsilon: 1e-5 },
  hero: { h: 0.3, gamma: 0.5 },
  relativeStep: 1e-3,
  hvpMethod: "forward",
};

const FINITE_DIFFERENCE: readonly Method[] = ["seht", "grad-l1", "hero"];
/** The methods whose Hessian-vector product is core's (`hvp.method`, `hvp.relativeStep`). */
const HVP_USERS: readonly Method[] = ["grad-l1", "hero"];

/**
 * The parameters of pair [A, B]. A finite difference taken over an oracle that is itself a
 * finite difference divides float32 rounding by ε₁·ε₂ (seht's second difference: by ε²), so for
 * those pairs:
 *   - core's HVP step (grad-l1, hero) is the largest core accepts, relativeStep = 0.1: the
 *     reference differences the very points flatfit evaluated, so a large step costs the
 *     comparison nothing, and it cuts the rounding that reaches the result a hundredfold;
 *   - seht's λ is small (its ε is fixed at 1e-2·‖W‖/‖σ‖): seht's rounding error in the result is
 *     ∝ λ_seht·λ_other while its share is ∝ λ_seht, so a smaller λ keeps the error well below
 *     the share (grad-l1's λ is lowered with it, for the same reason). [seht, seht] (λ² against λ)
     needs the smallest.
 */
function paramsFor(A: Method, B: Method, hvpMethod: MethodParams["hvpMethod"]): MethodParams {
  const params: MethodParams = { ...PARAMS, hvpMethod };
  if (FINITE_DIFFERENCE.includes(A) && FINITE_DIFFERENCE.includes(B)) {
    params.relativeStep = 0.1;
    if (A === "seht" || B === "seht") {
      params.seht = { ...PARAMS.seht, lambda: A === B ? 3e-4 : 1e-2 };
      params["grad-l1"] = { lambda: 0.1 };
    }
  }
  return params;
}

function spec(method: Method, p: MethodParams): PluginSpec {
  switch (method) {
    case "nso":
      return { use: "nso", sigma: p.nso.sigma, samples: p.nso.samples };
    case "seht":
      return { use: "seht", lambda: p.seht.lambda, prob: p.seht.prob };
    case "grad-l1":
      return { use: "grad-l1", lambda: p["grad-l1"].lambda, unit: "step" };
    case "pertopt":
      return { use: "pertopt", ...p.pertopt };
    case "hero":
      return { use: "hero", h: p.hero.h, gamma: p.hero.gamma };
  }
}

/**
 * Relative error allowed per pair, ‖flatfit − reference‖/‖reference‖: about five times the
 * largest error measured on "cpu" and "cpu-unfused" (the measured value is logged). Pairs whose
 * evaluations are all plain gradients sit near float32's 1e-7; a finite difference adds its
 * rounding over ε (grad-l1, hero: ~1e-5–1e-4 at relativeStep 1e-3), seht's second difference over
 * ε² (~1e-4 of the result at λ = 0.1). The shares (each method's part of the result, from the
 * reference with that method left out) all stand at least SHARE_OVER_TOLERANCE tolerances high.
 */
const TOLERANCE: Record<string, number> = {
  // measured on cpu / cpu-unfused (largest of the two), with each method's share of the result
  "nso,nso": 2e-7, //          1.8e-8; shares 3.3e-2, 2.0e-2
  "nso,seht": 2e-3, //         2.3e-4; shares 1.9e-2, 5.1e-2
  "nso,grad-l1": 2e-4, //      2.8e-5; shares 5.1e-2, 1.2e-1
  "nso,pertopt": 5e-7, //      8.6e-8; shares 5.9e-2, 2.6e-1
  "nso,hero": 2e-6, //         3.4e-7; shares 8.5e-2, 2.3e-2
  "seht,nso": 3e-4, //         6.0e-5; shares 6.7e-2, 2.4e-2
  "seht,seht": 2e-5, //        2.3e-6; shares 2.8e-4, 2.7e-4 (λ = 3e-4: see paramsFor)
  "seht,grad-l1": 3e-4, //     5.5e-5; shares 1.0e-2, 7.9e-2
  "seht,pertopt": 5e-4, //     8.5e-5; shares 7.9e-2, 4.3e-1
  "seht,hero": 1e-4, //        1.7e-5; shares 2.5e-3, 3.2e-2
  "grad-l1,nso": 5e-5, //      7.0e-6; shares 1.5e-1, 2.9e-1
  "grad-l1,seht": 1e-4, //     1.6e-5; shares 6.0e-2, 3.5e-3
  "grad-l1,grad-l1": 2e-5, //  2.1e-6; shares 9.6e-2, 9.6e-2
  "grad-l1,pertopt": 1e-4, //  1.4e-5; shares 2.8e-1, 1.2e-1
  "grad-l1,hero": 2e-6, //     2.3e-7; shares 2.0e-1, 1.1e-2
  "pertopt,nso": 2e-7, //      3.4e-8; shares 1.8e-1, 1.3e-2
  "pertopt,seht": 5e-4, //     8.9e-5; shares 2.3e-1, 8.7e-2
  "pertopt,grad-l1": 2e-4, //  3.9e-5; shares 4.2e-1, 4.4e-1
  "pertopt,pertopt": 2e-7, //  3.1e-8; one evaluation: the two draws are seen only as their sum
  "pertopt,hero": 5e-6, //     9.1e-7; shares 1.1e-1, 8.5e-2
  "hero,nso": 3e-6, //         5.1e-7; shares 3.3e-2, 1.1e-2
  "hero,seht": 5e-5, //        8.8e-6; shares 4.4e-2, 7.0e-3
  "hero,grad-l1": 2e-6, //     2.1e-7; shares 2.7e-2, 6.1e-2
  "hero,pertopt": 3e-6, //     4.0e-7; shares 3.6e-2, 1.6e-1
  "hero,hero": 5e-7, //        7.3e-8; shares 3.5e-2, 3.5e-2
};

/** The same for the pairs with hvp.method "central" (measured likewise). */
const TOLERANCE_CENTRAL: Record<string, number> = {
  "nso,grad-l1": 1e-4, //      1.8e-5; shares 4.2e-2, 2.4e-1
  "nso,hero": 5e-6, //         6.9e-7; shares 3.1e-2, 4.5e-2
  "seht,grad-l1": 5e-4, //     8.9e-5; shares 7.4e-3, 8.0e-2
  "seht,hero": 2e-5, //        3.1e-6; shares 2.4e-3, 2.8e-2
  "grad-l1,nso": 3e-5, //      5.6e-6; shares 1.2e-1, 8.9e-2
  "grad-l1,seht": 2e-4, //     3.8e-5; shares 1.1e-1, 7.9e-3
  "grad-l1,grad-l1": 1e-6, //  1.0e-7; shares 2.3e-1, 2.3e-1
  "grad-l1,pertopt": 5e-5, //  9.1e-6; shares 2.0e-1, 7.3e-2
  "grad-l1,hero": 1e-6, //     1.1e-7; shares 1.7e-1, 3.1e-2
  "pertopt,grad-l1": 1e-4, //  1.7e-5; shares 1.2e-1, 2.5e-1
  "pertopt,hero": 2e-6, //     3.9e-7; shares 1.2e-1, 2.8e-2
  "hero,nso": 1e-6, //         1.1e-7; shares 4.9e-2, 1.8e-2
  "hero,seht": 3e-4, //        4.5e-5; shares 2.5e-2, 1.0e-2
  "hero,grad-l1": 2e-6, //     2.7e-7; shares 3.8e-2, 2.3e-1
  "hero,pertopt": 2e-6, //     3.8e-7; shares 7.3e-2, 2.3e-1
  "hero,hero": 1e-6, //        1.5e-7; shares 9.9e-2, 9.9e-2
};

/** A method's share of the result must be this many tolerances: a result without it fails by that much. */
const SHARE_OVER_TOLERANCE = 4;

/** Runs pair [A, B] and checks it against the reference (see the top of this file). */
async function checkPair(t: ExecutionContext, A: Method, B: Method, p: MethodParams, seed: number, tol: number): Promise<void> {
  const problem = new LogisticProblem(64, 5, seed);
  try {
    // Two steps, the second captured: W0 and W are the weights before the first and before the second.
    const hvp = { relativeStep: p.relativeStep, method: p.hvpMethod };
    const { initial: W0, start: W, grad, points } = await captureStep([spec(A, p), spec(B, p)], problem.loss, [problem.w], { seed, hvp, warmup: 1, learningRate: 0.5 });
    const interp = new Interpreter(problem, points, p);
    const dA: Draws = { method: A, values: [] };
    const dB: Draws = { method: B, values: [] };
    const inner = interp.node(A, interp.base, dA);
    const top = interp.node(B, inner, dB);
    if (!top.cleanFirst) {
      // The chain's first evaluation is perturbed: the engine runs a clean forward pass at W first.
      t.deepEqual(points[0], W, "the first evaluation is the clean forward pass at W");
      interp.cursor = 1;
    }
    const ref = top.call(W);
    t.is(points.length, interp.cursor, `the closure was evaluated ${points.length} times; ${top.label} evaluates it ${interp.cursor} times`);
    t.deepEqual(interp.problems, [], "every evaluation is where the reference predicts it, and every draw read back is plausible");

    // pertopt's draw: |u_i| ≤ σ_i ≤ κ_i = γ/log(1 + epoch)·|W_{t−1}[i]| + ε (epoch 1; W_{t−1} = W0).
    // [pertopt, pertopt] evaluates once, at W + u_inner + u_outer: only the sum is seen (≤ 2κ).
    const pertopts = [dA, dB].filter((d) => d.method === "pertopt");
    for (const d of pertopts) {
      if (pertopts.length > 1 && !d.mixed) continue;
      const { gamma, epsilon } = p.pertopt;
      const u = d.values[0];
      const kappa = W0.map((w) => ((gamma / Math.log(2)) * Math.abs(w) + epsilon) * pertopts.length);
      const worst = Math.max(...u.map((x, i) => Math.abs(x) / kappa[i]));
      t.true(worst <= 1 + 1e-4, `pertopt's u exceeds its bound κ (worst |u_i|/κ_i = ${worst})`);
      t.true(Math.hypot(...u) > 1e-2, "precondition: pertopt perturbs");
    }
    // Two instances of one noisy method draw independently (an outer instance's draws are not replayed into the inner one).
    if (A === B && A !== "pertopt" && dA.values.length > 0) t.true(relError(dA.values[0], dB.values[0]) > 0.1, `the two ${A} instances drew the same numbers`);

    const err = relError(grad, ref);
    // Pure float64 composed math (analytic gradients at the predicted points), and the same with
    // one method left out: each method's share of the result must stand well above the tolerance.
    interp.mode = "free";
    const pure = top.call(W);
    const errPure = relError(grad, pure);
    const share = (other: Vec) => Math.hypot(...sub(pure, other)) / Math.hypot(...pure);
    const shareB = share(inner.call(W));
    const shareA = share(interp.node(B, interp.base, dB).call(W));
    const drawn = [dA, dB]
      .filter((d) => d.values.length > 0)
      .map((d) => (d.method === "seht" ? `seht σ = [${d.values[0].join(", ")}]` : `${d.method} ‖draw‖ = ${d.values.map((v) => Math.hypot(...v).toFixed(3)).join(", ")}`));
    t.log(
      `${points.length} evaluations${drawn.length ? ` (${drawn.join("; ")})` : ""}; relative error ${err.toExponential(2)} (bound ${tol}); against float64 at the predicted points ${errPure.toExponential(2)}; ` +
        `points within ${interp.worstPoint.toExponential(1)} of the prediction; share of ${A} ${shareA.toExponential(2)}, of ${B} ${shareB.toExponential(2)}`,
    );
    t.true(shareB > SHARE_OVER_TOLERANCE * tol, `precondition: ${B}'s share of the result, ${shareB}, stands well above the tolerance ${tol}`);
    if (!(A === "pertopt" && B === "pertopt")) {
      t.true(shareA > SHARE_OVER_TOLERANCE * tol, `precondition: ${A}'s share of the result, ${shareA}, stands well above the tolerance ${tol}`);
    }
    t.true(err < tol, `relative error ${err} (bound ${tol})`);
    t.true(errPure < 2 * tol, `relative error ${errPure} against float64 at the predicted points (bound ${2 * tol})`);
  } finally {
    problem.dispose();
  }
}

const pairs: Array<[Method, Method]> = [];
for (const a of METHODS) for (const b of METHODS) pairs.push([a, b]);

pairs.forEach(([A, B], index) => {
  test(`[${A}, ${B}]: ${B} wraps ${A}'s oracle; the final gradient is the composed math at one draw per plugin`, (t) =>
    checkPair(t, A, B, paramsFor(A, B, "forward"), 100 + index, TOLERANCE[`${A},${B}`]));
});

// The pairs with a Hessian-vector product from core (grad-l1, hero) once more with hvp.method
// "central": the product then evaluates the inner oracle at W ± εv, one call more, at the same draws.
pairs.forEach(([A, B], index) => {
  if (!HVP_USERS.includes(A) && !HVP_USERS.includes(B)) return;
  test(`[${A}, ${B}] with hvp.method "central": the composed math with central differences, at one draw per plugin`, (t) =>
    checkPair(t, A, B, paramsFor(A, B, "central"), 200 + index, TOLERANCE_CENTRAL[`${A},${B}`]));
});
