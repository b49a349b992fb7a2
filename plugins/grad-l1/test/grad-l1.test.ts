import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit } from "@flatfit/core";
import { blobs, captureStep, checkDifferenceOrder, checkFitContract, LogisticProblem, matVec, RecordingOptimizer, relError, pluginConfigError, checkTrainsBetterThanChance } from "@flatfit/testing";
import GradL1, { GradL1Plugin } from "@flatfit/plugin-grad-l1";

const add = (a: number[], b: number[]) => a.map((x, i) => x + b[i]);
const scale = (a: number[], s: number) => a.map((x) => x * s);

/** g + λ·H·sign(g), analytic (float64) at the problem's current weights. */
function expectedGradL1(problem: LogisticProblem, lambda: number): { g: number[]; out: number[] } {
  const g = problem.grad();
  return { g, out: add(g, scale(matVec(problem.hessian(), g.map(Math.sign)), lambda)) };
}

/** Plain gradient as tfjs computes it (float32), for exact comparisons. */
function plainGradient(problem: LogisticProblem): number[] {
  return tf.tidy(() => Array.from(tf.variableGrads(problem.loss, [problem.w]).grads[problem.w.name].dataSync()));
}

test("exports the plugin class as default and by name, with id grad-l1", (t) => {
  t.is(GradL1, GradL1Plugin);
  t.is(GradL1Plugin.id, "grad-l1");
});

test("the step's gradient is g + λ·H·sign(g) on logistic regression (analytic H), in 2 gradient evaluations", async (t) => {
  const problem = new LogisticProblem();
  const lambda = 0.5;
  const { g, out } = expectedGradL1(problem, lambda);
  const { grad, points } = await captureStep([{ use: "grad-l1", lambda }], problem.loss, [problem.w]);
  const err = relError(grad, out);
  t.log(`relative error vs g + λ·H·sign(g): ${err.toExponential(2)} (bound 1e-3); penalty share ${relError(g, out).toFixed(3)}`);
  t.true(err <= 1e-3, `relative error ${err}`);
  t.true(relError(g, out) > 0.05, "the penalty term is large enough for the check to see it");
  t.is(points.length, 2, "evaluations");
  problem.dispose();
});

test("schedule by steps: outside [from, until] the gradient is exactly g, inside it is penalized", async (t) => {
  const problem = new LogisticProblem(64, 5, 8);
  const lambda = 0.3;
  const ff = await createFlatfit({ seed: 1, logLevel: "warn", plugins: [{ use: "grad-l1", lambda, unit: "step", from: 2, until: 3 }] });
  const rec = new RecordingOptimizer(0);
  let evaluations = 0;
  const perStep: number[] = [];
  const loss = () => {
    evaluations++;
    return problem.loss();
  };
  for (let s = 0; s < 6; s++) {
    const before = evaluations;
    ff.step(loss, [problem.w], rec).dispose();
    perStep.push(evaluations - before);
  }
  const plain = plainGradient(problem);
  const { out } = expectedGradL1(problem, lambda);
  const names = [problem.w.name];
  for (const s of [0, 1, 4, 5]) t.deepEqual(rec.calls[s][problem.w.name], plain, `step ${s} is plain training's gradient`);
  for (const s of [2, 3]) {
    const err = relError(rec.calls[s][problem.w.name], out);
    t.true(err <= 1e-3, `step ${s}: relative error ${err}`);
  }
  t.true(relError(rec.last(names), rec.calls[2][problem.w.name]) > 0.05, "penalized and plain steps differ");
  t.deepEqual(perStep, [1, 1, 2, 2, 1, 1], "1 gradient evaluation outside the schedule, 2 inside");
  ff.dispose();
  problem.dispose();
});

test("schedule by epochs inside model.fit: only epoch `from`…`until` is penalized (ctx.epoch from ff.callbacks)", async (t) => {
  const problem = new LogisticProblem(64, 5, 9);
  const lambda = 0.4;
  const w0 = problem.weights();
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1, inputShape: [problem.d], useBias: false, activation: "sigmoid" }));
  model.layers[0].setWeights([tf.tensor2d(w0, [problem.d, 1])]);
  const ff = await createFlatfit({ seed: 1, logLevel: "warn", plugins: [{ use: "grad-l1", lambda, from: 1, until: 1 }] });
  const rec = new RecordingOptimizer(0);
  model.compile({ optimizer: ff.wrap(rec), loss: "binaryCrossentropy" });
  await model.fit(problem.xT, problem.yT, { epochs: 3, batchSize: problem.n, shuffle: false, verbose: 0, callbacks: [ff.callbacks()] });
  t.is(rec.calls.length, 3);
  const [name] = Object.keys(rec.calls[0]);
  t.deepEqual(rec.calls[2][name], rec.calls[0][name], "epochs 0 and 2 get the same plain gradient");
  const penalty = rec.calls[1][name].map((x, i) => (x - rec.calls[0][name][i]) / lambda);
  const hSign = matVec(problem.hessian(w0), problem.grad(w0).map(Math.sign));
  const err = relError(penalty, hSign);
  t.log(`epoch-1 penalty vs analytic H·sign(g): relative error ${err.toExponential(2)} (bound 3e-3)`);
  t.true(err <= 3e-3, `relative error ${err}`);
  ff.dispose();
  model.dispose();
  problem.dispose();
});

/**
 * One penalized step on logistic regression with the config's `hvp` settings: the Hessian term the
 * plugin added, (out − g)/λ with g as tfjs computes it, against the analytic H·sign(g); and the
 * closure calls the step made.
 */
async function hessianTermError(method: "forward" | "central", relativeStep?: number): Promise<{ err: number; evaluations: number }> {
  const problem = new LogisticProblem();
  const lambda = 1;
  try {
    const { grad, points } = await captureStep([{ use: "grad-l1", lambda }], problem.loss, [problem.w], { hvp: { method, relativeStep } });
    const g = plainGradient(problem);
    const term = grad.map((x, i) => (x - g[i]) / lambda);
    return { err: relError(term, matVec(problem.hessian(), problem.grad().map(Math.sign))), evaluations: points.length };
  } finally {
    problem.dispose();
  }
}

test("hvp.method from the config reaches the Hessian term: \"central\" is second-order accurate (vs analytic H·sign(g)) for one more gradient evaluation", async (t) => {
  await checkDifferenceOrder(t, hessianTermError, {
    quantity: "H·sign(g)",
    evaluations: {
      forward: { count: 2, what: "g, then ∇L(W + ε·sign(g)) (g reused)" },
      central: { count: 3, what: "g, then ∇L(W ± ε·sign(g))" },
    },
  });
  // The default is forward.
  const fallback = await hessianTermError("forward");
  t.is(fallback.evaluations, 2);
});

test("keeps fit's contract (reported loss/acc, BatchNorm statistics, no host reads, no leaks)", async (t) => {
  await checkFitContract(t, [{ use: "grad-l1", lambda: 0.05 }]);
});

test("trains a small MLP on blobs through model.fit far better than chance", async (t) => {
  await checkTrainsBetterThanChance(t, [{ use: "grad-l1", lambda: 0.02 }]);
});

const configError = (options: Record<string, unknown>): Promise<string> => pluginConfigError("grad-l1", options);

test("option errors name the plugin, the field and what is accepted", async (t) => {
  const order = await configError({ lambda: 0.1, from: 10, until: 5 });
  t.regex(order, /grad-l1/);
  t.regex(order, /"from"/);
  t.regex(order, /≤ "until"/);

  const lambda = await configError({ lambda: 0 });
  t.regex(lambda, /grad-l1/);
  t.regex(lambda, /"lambda"/);
  t.regex(lambda, /> 0/);

  const missing = await configError({});
  t.regex(missing, /grad-l1.*"lambda".*missing/);

  const unit = await configError({ lambda: 0.1, unit: "batch" });
  t.regex(unit, /grad-l1.*"unit".*"epoch"\|"step"/);

  const unknown = await configError({ lambda: 0.1, start: 3 });
  t.regex(unknown, /grad-l1.*unknown option "start"; accepted: lambda, from, until, unit/);

  const negative = await configError({ lambda: 0.1, from: -1 });
  t.regex(negative, /grad-l1.*"from".*integer ≥ 0/);
});
