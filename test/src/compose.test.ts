/**
 * Compositions from one config: the plugins wrap in the listed order (the first wraps the base
 * oracle), and the captured gradient is the composed math. Checked on the quadratic
 * L = ½WᵀAW − bᵀW, where ∇L is linear, so every finite difference of it is A·v exactly (up to
 * float32 rounding) and NSO's ± average of ∇L is ∇L itself.
 */
import test from "ava";
import { add, captureStep, matVec, QuadraticProblem, relError, scale, sub, type Vec } from "@flatfit/testing";

const LAMBDA = 0.2;
const SIGMA = 0.5;

/** grad-l1 as an oracle on the quadratic: W ↦ ∇L(W) + λ·A·sign(∇L(W)). */
function gradL1(problem: QuadraticProblem, w: Vec): Vec {
  const g = problem.grad(w);
  return add(g, scale(matVec(problem.A, g.map(Math.sign)), LAMBDA));
}

test("[nso, grad-l1]: grad-l1 wraps nso's oracle: out = G + λ·A·sign(G) with G = nso's ± average = ∇L(W)", async (t) => {
  const problem = new QuadraticProblem();
  const W = problem.weights();
  const expected = gradL1(problem, W);
  const { grad, points } = await captureStep(
    [
      { use: "nso", sigma: SIGMA },
      { use: "grad-l1", lambda: LAMBDA, unit: "step" },
    ],
    problem.loss,
    problem.variables,
    { seed: 4 },
  );
  const err = relError(grad, expected);
  t.log(`relative error ${err.toExponential(2)} (bound 1e-3)`);
  t.true(err <= 1e-3, `relative error ${err}`);
  // The clean forward pass, then grad-l1 asks nso's oracle twice (at W and at W + ε·sign(G)), 2 evaluations each.
  t.is(points.length, 5);
  t.deepEqual(points[0], W, "the first evaluation is the clean one, at W");
  // nso's pairs are antithetic: W + U and W − U around each point grad-l1 asks for.
  t.true(relError(add(points[1], points[2]), scale(W, 2)) <= 1e-6);
  problem.dispose();
});

test("[grad-l1, nso]: nso wraps grad-l1's oracle: out = ½[G(W + U) + G(W − U)] with G = grad-l1's output, which differs from the other order", async (t) => {
  const problem = new QuadraticProblem();
  const W = problem.weights();
  const { grad, points } = await captureStep(
    [
      { use: "grad-l1", lambda: LAMBDA, unit: "step" },
      // Noise of the gradient's own scale, so that ∇L(W ± U) has other signs than ∇L(W).
      { use: "nso", sigma: 2 },
    ],
    problem.loss,
    problem.variables,
    { seed: 4 },
  );
  // Clean forward at W; then nso asks grad-l1's oracle at W + U and at W − U, 2 evaluations each
  // (the point itself and the point moved along the sign of its gradient).
  t.is(points.length, 5);
  const plus = points[1];
  const minus = points[3];
  const U = sub(plus, W);
  t.true(relError(sub(W, minus), U) <= 1e-5, "the second point grad-l1 is asked for is W − U");
  const expected = scale(add(gradL1(problem, plus), gradL1(problem, minus)), 0.5);
  const err = relError(grad, expected);
  // The noise moves some gradient sign, so the two orders are different math: the check tells them apart.
  const otherOrder = gradL1(problem, W);
  t.log(`relative error ${err.toExponential(2)} (bound 1e-3); distance to the other order ${relError(otherOrder, expected).toFixed(3)}`);
  t.true(err <= 1e-3, `relative error ${err}`);
  t.true(relError(otherOrder, expected) > 0.05, "precondition: U flips at least one gradient sign");
  problem.dispose();
});
