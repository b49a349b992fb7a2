import test from "ava";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit } from "@flatfit/core";
import { QuadraticProblem, RecordingOptimizer, blobs, mlp, norm, relError, scale, weightsOf } from "@flatfit/testing";

const config = path.join(__dirname, "..", "..", "flatfit.config.json");
const quiet = { logSink: () => {} };

test("the plugin loads by path from the config file", async (t) => {
  const ff = await createFlatfit(config, quiet);
  t.deepEqual(ff.pluginIds, ["sam"]);
  ff.dispose();
});

test("its gradient is ∇L(W + ρ g/‖g‖), checked on a quadratic", async (t) => {
  const q = new QuadraticProblem();
  const ff = await createFlatfit(config, quiet);
  const rec = new RecordingOptimizer(0);
  ff.step(q.loss, q.variables, rec).dispose();
  const w = q.weights();
  const g = q.grad(w);
  const expected = q.grad(w.map((wi, i) => wi + scale(g, 0.05 / norm(g))[i]));
  const err = relError(rec.last([q.w1.name, q.w2.name]), expected);
  t.true(err < 1e-5, `relative error ${err}`);
  q.dispose();
});

test("it changes training measurably: different weights than plain SGD from the same start", async (t) => {
  const { x, y } = blobs(96);
  const train = async (wrap: boolean) => {
    const ff = await createFlatfit(config, quiet);
    const m = mlp(2);
    m.compile({ optimizer: wrap ? ff.wrap(tf.train.sgd(0.2)) : tf.train.sgd(0.2), loss: "categoricalCrossentropy" });
    await m.fit(x, y, { epochs: 5, batchSize: 16, shuffle: false, verbose: 0 });
    return weightsOf(m).flat();
  };
  const plain = await train(false);
  const sam = await train(true);
  const moved = relError(sam, plain);
  t.true(moved > 1e-3, `relative difference of final weights ${moved}`);
});
