/**
 * What the composition matrices (compose-matrix.test.ts: DESIGN.md's five methods;
 * compose-matrix-sam.test.ts: pairs with a SAM-family method) share: the methods' parameters,
 * the plugin spec built from them, and the check of one ordered pair [A, B] against the float64
 * reference interpreter (compose-reference.ts). compose-matrix.test.ts's header says what is checked.
 */
import test, { type ExecutionContext } from "ava";
import type { PluginSpec } from "@flatfit/core";
import { captureStep, LogisticProblem, relError, sub, type Vec } from "@flatfit/testing";
import { Interpreter, type Draws, type Method, type MethodParams } from "./compose-reference";

const PARAMS: MethodParams = {
  // Two ± pairs: in [pertopt, nso] a redrawn u would go unseen with one pair (each pair's two
  // points fix its own U and u), with two it moves the second pair's midpoint.
  nso: { sigma: 0.3, samples: 2 },
  seht: { lambda: 0.1, prob: 0.35 },
  "grad-l1": { lambda: 0.3 },
  pertopt: { eta: 1e-4, gamma: 0.3, beta2: 1, epsilon: 1e-5 },
  hero: { h: 0.3, gamma: 0.5 },
  // The SAM family: radii and noise large enough that each method's share of the result is
  // 1e-2–1e-1 (‖W‖ ≈ 1.8, ‖g‖ ≈ 0.1–0.3 on this problem): usam's ε = ρ·g needs ρ ≈ 1 for that;
  // asam's η = 0.1 (not the paper's 0.01) so that the η in T = |W| + η moves the result visibly.
  sam: { rho: 0.2 },
  usam: { rho: 1 },
  asam: { rho: 0.3, eta: 0.1, biases: "identity" },
  rsam: { rho: 0.2, sigma: 0.3 },
  "wp-sgd": { sigma: 0.3, distribution: "gaussian" },
  relativeStep: 1e-3,
  hvpMethod: "forward",
};

const FINITE_DIFFERENCE: readonly Method[] = ["seht", "grad-l1", "hero"];
/** The methods whose Hessian-vector product is core's (`hvp.method`, `hvp.relativeStep`). */
export const HVP_USERS: readonly Method[] = ["grad-l1", "hero"];
/** The methods with an additive draw evaluated once per call (only a sum is seen when two nest). */
const ADDITIVE: readonly Method[] = ["pertopt", "wp-sgd"];

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
 *     needs the smallest.
 * The SAM family takes no finite differences: its pairs keep the defaults above.
 */
export function paramsFor(A: Method, B: Method, hvpMethod: MethodParams["hvpMethod"]): MethodParams {
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

/** The config entry of `method` with the parameters `p`. */
export function spec(method: Method, p: MethodParams): PluginSpec {
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
    case "sam":
    case "usam":
      return { use: method, rho: p[method].rho };
    case "asam":
      return { use: "asam", ...p.asam };
    case "rsam":
      return { use: "rsam", ...p.rsam };
    case "wp-sgd":
      return { use: "wp-sgd", ...p["wp-sgd"] };
  }
}

/** A method's share of the result must be this many tolerances: a result without it fails by that much. */
const SHARE_OVER_TOLERANCE = 4;

/** Runs pair [A, B] and checks it against the reference (see compose-matrix.test.ts's header). */
export async function checkPair(t: ExecutionContext, A: Method, B: Method, p: MethodParams, seed: number, tol: number): Promise<void> {
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

    // Additive draws: pertopt's |u_i| ≤ σ_i ≤ κ_i = γ/log(1 + epoch)·|W_{t−1}[i]| + ε (epoch 1;
    // W_{t−1} = W0); wp-sgd's |U_i| < 6σ (Gaussian). Two of them nested ([pertopt, pertopt],
    // [pertopt, wp-sgd], [wp-sgd, wp-sgd], …) evaluate once, at W + u_inner + u_outer: only the
    // sum is seen (the outer one's draw, marked mixed), bounded by the sum of the two bounds.
    const mixed = dA.mixed || dB.mixed;
    const bound = (d: Draws): number[] =>
      d.method === "pertopt" ? W0.map((w) => (p.pertopt.gamma / Math.log(2)) * Math.abs(w) + p.pertopt.epsilon) : W0.map(() => 6 * p["wp-sgd"].sigma);
    const additive = [dA, dB].filter((d) => ADDITIVE.includes(d.method));
    for (const d of additive) {
      if (mixed && !d.mixed) continue;
      const u = d.values[0];
      const limit = mixed ? additive.map(bound).reduce((a, b) => a.map((x, i) => x + b[i])) : bound(d);
      const worst = Math.max(...u.map((x, i) => Math.abs(x) / limit[i]));
      t.true(worst <= 1 + 1e-4, `${mixed ? `the sum of ${A}'s and ${B}'s draws` : `${d.method}'s draw`} exceeds its bound (worst |u_i|/bound_i = ${worst})`);
      t.true(Math.hypot(...u) > 1e-2, `precondition: ${d.method} perturbs`);
    }
    // Two instances of one method draw independently (an outer instance's draws are not replayed into the inner one).
    if (A === B && !mixed && dA.values.length > 0) t.true(relError(dA.values[0], dB.values[0]) > 0.1, `the two ${A} instances drew the same numbers`);

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
        `points within ${interp.worstPoint.toExponential(1)} of the prediction; share of ${A} ${shareA.toExponential(2)}, of ${B} ${shareB.toExponential(2)}${mixed ? " (only the sum of the two draws is seen)" : ""}`,
    );
    t.true(shareB > SHARE_OVER_TOLERANCE * tol, `precondition: ${B}'s share of the result, ${shareB}, stands well above the tolerance ${tol}`);
    // A mixed pair's outer draw is the sum of both: the inner method's share cannot be told apart.
    if (!mixed) {
      t.true(shareA > SHARE_OVER_TOLERANCE * tol, `precondition: ${A}'s share of the result, ${shareA}, stands well above the tolerance ${tol}`);
    }
    t.true(err < tol, `relative error ${err} (bound ${tol})`);
    t.true(errPure < 2 * tol, `relative error ${errPure} against float64 at the predicted points (bound ${2 * tol})`);
  } finally {
    problem.dispose();
  }
}

/**
 * Declares one test per pair (forward differences), and one more with hvp.method "central" for
 * each pair with a Hessian-vector product from core (grad-l1, hero): the product then evaluates
 * the inner oracle at W ± εv, one call more, at the same draws. Seeds are `seedBase + index` and
 * `seedBase + 100 + index`.
 */
export function declarePairs(pairs: ReadonlyArray<[Method, Method]>, tolerance: Record<string, number>, toleranceCentral: Record<string, number>, seedBase: number): void {
  pairs.forEach(([A, B], index) => {
    test(`[${A}, ${B}]: ${B} wraps ${A}'s oracle; the final gradient is the composed math at one draw per plugin`, (t) =>
      checkPair(t, A, B, paramsFor(A, B, "forward"), seedBase + index, tolerance[`${A},${B}`]));
  });
  pairs.forEach(([A, B], index) => {
    if (!HVP_USERS.includes(A) && !HVP_USERS.includes(B)) return;
    test(`[${A}, ${B}] with hvp.method "central": the composed math with central differences, at one draw per plugin`, (t) =>
      checkPair(t, A, B, paramsFor(A, B, "central"), seedBase + 100 + index, toleranceCentral[`${A},${B}`]));
  });
}
