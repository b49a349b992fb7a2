import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type PluginSpec } from "@flatfit/core";
import { blobs, checkFitContract, dot, LogisticProblem, OracleProbe, QuadraticProblem, RecordingOptimizer, relError, pluginConfigError, checkTrainsBetterThanChance } from "@flatfit/testing";
import Seht, { SECOND_DIFFERENCE_STEP, SehtPlugin } from "@flatfit/plugin-seht";

type Vec = number[];
const norm = (a: Vec): number => Math.sqrt(dot(a, a));

/** ∇_W(σᵀH(W)σ) for logistic regression, analytic: (1/n) Σ p(1−p)(1−2p)(x·σ)² x. */
function gradQuadForm(problem: LogisticProblem, sigma: Vec, w: Vec): Vec {
  const p = problem.probs(w);
  const out = new Array(problem.d).fill(0);
  problem.X.forEach((x, i) => {
    const c = (p[i] * (1 - p[i]) * (1 - 2 * p[i]) * dot(x, sigma) ** 2) / problem.n;
    x.forEach((xj, j) => (out[j] += c * xj));
  });
  return out;
}

interface Draw {
  /** ε·σ as evaluated (the "+" evaluation's offset). */
  plus: Vec;
  minus: Vec;
  sigma: Vec;
  /** The common magnitude ε of the nonzero offsets (0 for an all-zero draw). */
  eps: number;
}

/** Splits a step's perturbed evaluations into (+, −) draws and recovers σ ∈ {−1, 0, 1} and ε. */
function draws(offsets: Vec[]): Draw[] {
  const out: Draw[] = [];
  for (let k = 0; k < offsets.length; k += 2) {
    const plus = offsets[k];
    const minus = offsets[k + 1];
    const eps = Math.max(...plus.map(Math.abs));
    out.push({ plus, minus, eps, sigma: plus.map((x) => (eps === 0 ? 0 : Math.round(x / eps))) });
  }
  return out;
}

async function run(
  plugins: PluginSpec[],
  problem: { loss: () => tf.Scalar; variables: tf.Variable[] },
  steps = 1,
): Promise<{ rec: RecordingOptimizer; probe: OracleProbe }> {
  const probe = new OracleProbe();
  const ff = await createFlatfit({ seed: 3, logLevel: "warn", plugins: [{ use: probe.plugin() }, ...plugins] });
  const rec = new RecordingOptimizer(0);
  try {
    for (let s = 0; s < steps; s++) ff.step(problem.loss, problem.variables, rec).dispose();
  } finally {
    ff.dispose();
  }
  return { rec, probe };
}

const logistic = (n = 64, d = 5, seed = 7) => {
  const p = new LogisticProblem(n, d, seed);
  return Object.assign(p, { variables: [p.w] });
};

test("exports the plugin class as default and by name, with id seht", (t) => {
  t.is(Seht, SehtPlugin);
  t.is(SehtPlugin.id, "seht");
});

test("each draw: evaluations at W ± εσ (ε scaled to the weights), and out = g + λ·mean of the second differences (analytic)", async (t) => {
  const problem = logistic();
  const lambda = 0.1;
  const samples = 4;
  const W = problem.weights();
  const { rec, probe } = await run([{ use: "seht", lambda, samples }], problem);
  t.is(probe.count(), 1 + 2 * samples, "1 + 2·samples gradient evaluations");
  const ds = draws(probe.offsets([problem.w.name]));
  for (const d of ds) {
    t.true(relError(d.minus, d.plus.map((x) => -x)) <= 1e-5, "the − evaluation mirrors the + one");
    t.true(d.plus.every((x) => Math.abs(Math.abs(x) - d.eps) <= 1e-4 * d.eps), "p = 0.5: every entry moves by ±ε (Rademacher)");
    const epsExpected = (SECOND_DIFFERENCE_STEP * Math.max(norm(W), 1)) / norm(d.sigma);
    t.true(Math.abs(d.eps - epsExpected) <= 1e-3 * epsExpected, `ε = ${d.eps}, expected ${epsExpected}`);
  }
  t.true(new Set(ds.map((d) => d.sigma.join(","))).size > 1, "fresh σ per draw");
  const g = problem.grad(W);
  const penalty = rec.last([problem.w.name]).map((x, i) => (x - g[i]) / lambda);
  const expected = new Array(problem.d).fill(0);
  for (const d of ds) gradQuadForm(problem, d.sigma, W).forEach((v, j) => (expected[j] += v / samples));
  const err = relError(penalty, expected);
  t.log(`(out − g)/λ vs mean ∇(σᵀHσ) over the recorded σ: relative error ${err.toExponential(2)} (bound 2e-2)`);
  t.true(err <= 2e-2, `relative error ${err}`);
  problem.dispose();
});

test("p = 0.5: the mean of 2,000 draws estimates ∇tr(H) within 5% (analytic gradTrace)", async (t) => {
  const problem = logistic();
  const lambda = 1;
  const W = problem.weights();
  const { rec, probe } = await run([{ use: "seht", lambda, samples: 2000 }], problem);
  t.is(probe.count(), 4001);
  const g = problem.grad(W);
  const estimate = rec.last([problem.w.name]).map((x, i) => (x - g[i]) / lambda);
  const exact = problem.gradTrace(W);
  const err = relError(estimate, exact);
  t.log(`relative error vs ∇tr(H): ${err.toExponential(2)} (bound 5e-2; float64 Monte-Carlo median for 2,000 draws ≈ 1.4e-2)`);
  t.true(err <= 0.05, `relative error ${err}`);
  problem.dispose();
});

test("small p (SEHT-D, p = 0.05): only the selected entries move, ±ε each, about 2p of them; out matches those σ", async (t) => {
  const problem = logistic(64, 40, 7);
  const p = 0.05;
  const samples = 100;
  const lambda = 1;
  const W = problem.weights();
  const { rec, probe } = await run([{ use: "seht", lambda, prob: p, samples }], problem);
  const ds = draws(probe.offsets([problem.w.name]));
  t.is(ds.length, samples);
  let nonzero = 0;
  let plusOnes = 0;
  for (const d of ds) {
    t.true(relError(d.minus, d.plus.map((x) => -x)) <= 1e-5 || d.eps === 0, "the − evaluation mirrors the + one");
    // Unselected entries are exactly unmoved; selected ones move by ±ε.
    d.plus.forEach((x, j) => {
      if (d.sigma[j] === 0) t.is(x, 0);
      else t.true(Math.abs(Math.abs(x) - d.eps) <= 1e-4 * d.eps);
    });
    nonzero += d.sigma.filter((s) => s !== 0).length;
    plusOnes += d.sigma.filter((s) => s === 1).length;
  }
  const entries = samples * problem.d;
  const mean = 2 * p * entries;
  const sd = Math.sqrt(entries * 2 * p * (1 - 2 * p));
  t.log(`nonzero entries ${nonzero} of ${entries} (expected ${mean} ± ${sd.toFixed(1)}); +1: ${plusOnes}, −1: ${nonzero - plusOnes}`);
  t.true(Math.abs(nonzero - mean) <= 5 * sd, `nonzero ${nonzero}`);
  t.true(Math.abs(2 * plusOnes - nonzero) <= 5 * Math.sqrt(nonzero), "as many +1 as −1");
  const g = problem.grad(W);
  const penalty = rec.last([problem.w.name]).map((x, i) => (x - g[i]) / lambda);
  const expected = new Array(problem.d).fill(0);
  for (const d of ds) gradQuadForm(problem, d.sigma, W).forEach((v, j) => (expected[j] += v / samples));
  const err = relError(penalty, expected);
  t.log(`(out − g)/λ vs mean ∇(σᵀHσ) over the recorded sparse σ: relative error ${err.toExponential(2)} (bound 2e-2)`);
  t.true(err <= 2e-2, `relative error ${err}`);
  problem.dispose();
});

test("layerProb: each variable takes part in a draw as a whole or not at all, with probability p₁", async (t) => {
  const spectrum = Array.from({ length: 40 }, (_, i) => 0.1 + 0.1 * i);
  const problem = new QuadraticProblem(spectrum, 20, 4);
  const samples = 200;
  const { probe } = await run([{ use: "seht", lambda: 0.01, layerProb: 0.5, samples }], problem);
  const names = problem.variables.map((v) => v.name);
  const ds = draws(probe.offsets(names));
  let included = 0;
  let both = 0;
  for (const d of ds) {
    const parts = [d.plus.slice(0, 20), d.plus.slice(20)];
    const taking = parts.map((part) => part.every((x) => x !== 0));
    parts.forEach((part, i) => t.true(taking[i] || part.every((x) => x === 0), "a variable moves entirely (p = 0.5) or not at all"));
    included += taking.filter(Boolean).length;
    if (taking[0] && taking[1]) both++;
  }
  const pairs = 2 * samples;
  t.log(`variables taking part: ${included} of ${pairs} (expected ${pairs / 2} ± ${Math.sqrt(pairs / 4).toFixed(1)}); both in one draw: ${both} of ${samples}`);
  t.true(Math.abs(included - pairs / 2) <= 5 * Math.sqrt(pairs / 4), `included ${included}`);
  t.true(Math.abs(both - samples / 4) <= 5 * Math.sqrt((samples * 3) / 16), `both ${both}: the variables are drawn independently`);
  problem.dispose();
});

test("every: 10 applies the penalty on steps 0, 10, 20… only; other steps get exactly g in 1 evaluation", async (t) => {
  const problem = logistic(64, 5, 12);
  const { rec, probe } = await run([{ use: "seht", lambda: 0.5, every: 10, samples: 2 }], problem, 20);
  const plain = tf.tidy(() => Array.from(tf.variableGrads(problem.loss, [problem.w]).grads[problem.w.name].dataSync()));
  const counts = probe.steps.map((calls) => calls.length);
  t.deepEqual(counts, Array.from({ length: 20 }, (_, s) => (s % 10 === 0 ? 5 : 1)));
  rec.calls.forEach((call, s) => {
    if (s % 10 === 0) t.true(relError(call[problem.w.name], plain) > 1e-3, `step ${s} is penalized`);
    else t.deepEqual(call[problem.w.name], plain, `step ${s} is plain training's gradient`);
  });
  problem.dispose();
});

test("the config's hvp section does not apply: the second difference is symmetric already and keeps its own step", async (t) => {
  // SEHT makes no Hessian-vector product: (∇L(W+εσ) − 2g + ∇L(W−εσ))/ε² is a central second
  // difference whatever hvp.method says, and ε uses SECOND_DIFFERENCE_STEP, not hvp.relativeStep.
  const once = async (hvp: { method?: "forward" | "central"; relativeStep?: number }) => {
    const problem = logistic();
    const probe = new OracleProbe();
    const ff = await createFlatfit({ seed: 3, logLevel: "warn", hvp, plugins: [{ use: probe.plugin() }, { use: "seht", lambda: 0.1, samples: 2 }] });
    const rec = new RecordingOptimizer(0);
    let evaluations = 0;
    try {
      ff.step(() => (evaluations++, problem.loss()), problem.variables, rec).dispose();
      return { grad: rec.last([problem.w.name]), offsets: probe.offsets([problem.w.name]), evaluations };
    } finally {
      ff.dispose();
      problem.dispose();
    }
  };
  const plain = await once({});
  for (const hvp of [{ method: "forward" as const, relativeStep: 1e-3 }, { method: "central" as const, relativeStep: 0.05 }]) {
    const other = await once(hvp);
    t.deepEqual(other.grad, plain.grad, `same gradient with hvp ${JSON.stringify(hvp)}`);
    t.deepEqual(other.offsets, plain.offsets, `same evaluation points with hvp ${JSON.stringify(hvp)}`);
    t.is(other.evaluations, 1 + 2 * 2, "1 + 2·samples gradient evaluations");
  }
});

test("keeps fit's contract (reported loss/acc, BatchNorm statistics, no host reads, no leaks)", async (t) => {
  await checkFitContract(t, [{ use: "seht", lambda: 0.01 }]);
});

test("keeps fit's contract as SEHT-D with layer sampling and several samples", async (t) => {
  await checkFitContract(t, [{ use: "seht", lambda: 0.01, prob: 0.05, layerProb: 0.5, samples: 3 }]);
});

test("trains a small MLP on blobs through model.fit far better than chance", async (t) => {
  await checkTrainsBetterThanChance(t, [{ use: "seht", lambda: 0.01, samples: 2 }]);
});

const configError = (options: Record<string, unknown>): Promise<string> => pluginConfigError("seht", options);

test("defaults: prob 0.5, layerProb 1, samples 1, every 1; lambda is required", async (t) => {
  const ff = await createFlatfit({ logLevel: "warn", plugins: [{ use: "seht", lambda: 0.001 }] });
  t.deepEqual(ff.plugin<SehtPlugin>(0).opts, { lambda: 0.001, prob: 0.5, layerProb: 1, samples: 1, every: 1 });
  ff.dispose();
  t.regex(await configError({}), /seht.*"lambda".*missing/);
});

test("option errors name the plugin, the field and what is accepted", async (t) => {
  const prob = await configError({ lambda: 0.01, prob: 0.6 });
  t.regex(prob, /seht/);
  t.regex(prob, /"prob"/);
  t.regex(prob, /\(0, 0\.5\]/);
  t.regex(prob, /got 0\.6/);

  t.regex(await configError({ lambda: 0.01, prob: 0 }), /seht.*"prob".*\(0, 0\.5\]/);
  t.regex(await configError({ lambda: 0.01, layerProb: 1.5 }), /seht.*"layerProb".*\(0, 1\]/);
  t.regex(await configError({ lambda: 0.01, samples: 0 }), /seht.*"samples".*integer ≥ 1/);
  t.regex(await configError({ lambda: 0.01, every: 2.5 }), /seht.*"every".*integer ≥ 1/);
  t.regex(await configError({ lambda: -1 }), /seht.*"lambda".*> 0/);
  t.regex(await configError({ lambda: 0.01, maxIter: 5 }), /seht.*unknown option "maxIter"; accepted: lambda, prob, layerProb, samples, every/);
});
