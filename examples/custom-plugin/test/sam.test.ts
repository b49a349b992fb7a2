import test from "ava";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, FlatfitConfigError } from "@flatfit/core";
import { LogisticProblem, QuadraticProblem, blobs, captureStep, checkFitContract, mlp, norm, relError, weightsOf } from "@flatfit/testing";
import SamPlugin from "../src/index";

const config = path.join(__dirname, "..", "..", "flatfit.config.json");
const quiet = { logSink: () => {} };

test("inside model.fit it keeps the fit contract", async (t) => {
  await checkFitContract(t, [{ use: SamPlugin }]);
});

test("its gradient is ∇L(W + ρ g/‖g‖), checked on a quadratic with ∇L = AW − b", async (t) => {
  const q = new QuadraticProblem();
  try {
    const { grad, points } = await captureStep([{ use: SamPlugin, rho: 0.05 }], q.loss, q.variables);
    const w = q.weights();
    const g = q.grad(w);
    const expected = q.grad(w.map((wi, i) => wi + (0.05 * g[i]) / norm(g)));
    t.is(points.length, 2, "2 gradient evaluations per step");
    const err = relError(grad, expected);
    t.true(err < 1e-5, `relative error ${err}`);
  } finally {
    q.dispose();
  }
});

test("on logistic regression (not quadratic) too, against the closed-form gradient", async (t) => {
  const p = new LogisticProblem();
  try {
    const { grad } = await captureStep([{ use: SamPlugin, rho: 0.1 }], p.loss, [p.w]);
    const w = p.weights();
    const g = p.grad(w);
    const expected = p.grad(w.map((wi, i) => wi + (0.1 * g[i]) / norm(g)));
    const err = relError(grad, expected);
    t.true(err < 1e-5, `relative error ${err}`);
  } finally {
    p.dispose();
  }
});

test("a bad option is rejected, naming the plugin and the field", async (t) => {
  const err = await createFlatfit({ logLevel: "silent", plugins: [{ use: SamPlugin, rho: 0 }] }).catch((e: unknown) => e);
  t.true(err instanceof FlatfitConfigError);
  t.regex((err as Error).message, /plugins\[0\] \(sam\) option "rho"/);
});

test("the plugin loads by path from the config file", async (t) => {
  const ff = await createFlatfit(config, quiet);
  t.deepEqual(ff.pluginIds, ["sam"]);
  ff.dispose();
});

test("it changes training measurably: different weights than plain SGD from the same start", async (t) => {
  const { x, y } = blobs(96);
  const train = async (wrap: boolean) => {
    const ff = await createFlatfit(config, quiet);
    const m = mlp(2);
    try {
      m.compile({ optimizer: wrap ? ff.wrap(tf.train.sgd(0.2)) : tf.train.sgd(0.2), loss: "categoricalCrossentropy" });
      await m.fit(x, y, { epochs: 5, batchSize: 16, shuffle: false, verbose: 0 });
      return weightsOf(m).flat();
    } finally {
      ff.dispose();
      m.dispose();
    }
  };
  const plain = await train(false);
  const sam = await train(true);
  tf.dispose([x, y]);
  const moved = relError(sam, plain);
  t.true(moved > 1e-3, `relative difference of final weights ${moved}`);
});
