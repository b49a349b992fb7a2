import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, hessianVectorProduct, VariablePerturber, type FlatfitHooks, type NamedTensors } from "@flatfit/core";
import { LogisticProblem, RecordingOptimizer, gaussian, prng, relError } from "@flatfit/testing";

for (const [method, bound] of [["forward", 1e-3], ["central", 1e-4]] as const) {
  test(`${method}-difference H·v on logistic regression matches Xᵀdiag(p(1−p))X/n within ${bound}, and leaves only its result`, (t) => {
    const g = gaussian(prng(21));
    for (const seed of [1, 2, 3]) {
      const p = new LogisticProblem(128, 6, seed);
      const v = Array.from({ length: p.d }, () => g());
      const at = new VariablePerturber([p.w]);
      const before = Array.from(p.w.dataSync());
      const vT = tf.tensor2d(v, [p.d, 1]);
      const n0 = tf.memory().numTensors;
      // outside any tidy: the product frees its own evaluations and intermediates
      const hv = hessianVectorProduct(at, p.oracle, { [p.w.name]: vT }, { method })[p.w.name];
      t.is(tf.memory().numTensors, n0 + 1, "only the product is left");
      vT.dispose();
      const err = relError(Array.from(hv.dataSync()), p.hvp(v));
      t.true(err <= bound, `seed ${seed}: relative error ${err.toExponential(2)} > ${bound}`);
      t.deepEqual(Array.from(p.w.dataSync()), before, "weights restored bit-exactly");
      hv.dispose();
      p.dispose();
    }
  });
}

test("ctx.hvp inside a step uses the config's method and matches the analytic H·g", async (t) => {
  const p = new LogisticProblem(96, 4, 5);
  class HvpProbe {
    static id = "hvp-probe";
    apply(hooks: FlatfitHooks): void {
      // returns H·g as the "gradient", so the recording optimizer captures it
      hooks.gradient.tap("hvp-probe", (oracle, ctx) => () => {
        const r = oracle();
        const hv: NamedTensors = ctx.hvp(oracle, r.grads, { grads: r.grads });
        return { loss: r.loss, grads: hv };
      });
    }
  }
  const ff = await createFlatfit({ hvp: { method: "central" }, plugins: [{ use: HvpProbe }] }, { logSink: () => {} });
  const rec = new RecordingOptimizer(0);
  ff.step(p.loss, [p.w], rec).dispose();
  const err = relError(rec.last([p.w.name]), p.hvp(p.grad()));
  t.true(err <= 1e-4, `relative error ${err}`);
  p.dispose();
});
