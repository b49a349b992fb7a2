/**
 * hessianTrace's `rejectKinks`: each probe measured from both sides, probes whose sides disagree
 * (a ReLU unit switching on one side only) redrawn and counted.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { RandomSource } from "@flatfit/core";
import { closureObjective, hessianTrace, modelHessianTrace, modelObjective, rademacherProbe, sidesAgree, traceOf } from "@flatfit/metrics";
import { LogisticProblem, matVec, dot, reluKinkProblem } from "@flatfit/testing";

const bytes = (vars: tf.Variable[]) => vars.map((v) => Buffer.from(new Uint8Array(v.dataSync().buffer.slice(0))));

test("a probe that crosses a ReLU kink is redrawn: the estimate stays right where plain central differences explode", async (t) => {
  const { model, x, y, trace: exact } = reluKinkProblem();
  const opts = { samples: 60, seed: 3, relativeStep: 2e-6 };
  const guarded = await modelHessianTrace(model, x, y, { ...opts, rejectKinks: true });
  const share = guarded.rejected / (guarded.rejected + 60);
  t.true(share > 0.3 && share < 0.7, `${guarded.rejected} probes redrawn for 60 kept (expected about half of all draws)`);
  t.true(Math.abs(guarded.value - exact) <= 4 * guarded.stdError + 1e-3, `estimate ${guarded.value} ± ${guarded.stdError}, exact ${exact}`);
  const central = await modelHessianTrace(model, x, y, { samples: 20, seed: 3, relativeStep: 2e-6, method: "central" });
  t.log(`exact ${exact.toFixed(4)}, guarded ${guarded.value.toFixed(4)} ± ${guarded.stdError.toFixed(4)} (${guarded.rejected} redrawn), central ${central.value.toExponential(2)}`);
  t.is(central.rejected, 0, "without rejectKinks nothing is counted");
  t.true(Math.abs(central.value - exact) > 1000 * Math.abs(guarded.value - exact) + 10, `unguarded central differences gave ${central.value}`);
  tf.dispose([x, y]);
  model.dispose();
});

test("maxDraws caps the draws: fewer samples are kept, rejected + kept = maxDraws, and they are the first draws of the same stream", async (t) => {
  const { model, x, y } = reluKinkProblem();
  const opts = { samples: 20, seed: 4, relativeStep: 2e-6, rejectKinks: true };
  const capped = await traceOf(modelObjective(model, x, y), { ...opts, maxDraws: 20 });
  t.true(capped.rejected > 0 && capped.samples.length < 20);
  t.is(capped.samples.length + capped.rejected, 20);
  const full = await traceOf(modelObjective(model, x, y), opts);
  t.is(full.samples.length, 20);
  t.deepEqual(full.samples.slice(0, capped.samples.length), capped.samples);
  tf.dispose([x, y]);
  model.dispose();
});

test("on a smooth loss no probe is redrawn and each kept sample is the analytic vᵀHv of the probe drawn (logistic regression)", async (t) => {
  const p = new LogisticProblem(64, 5, 7);
  const before = bytes([p.w]);
  const H = p.hessian();
  const n0 = tf.memory().numTensors;
  const r = await traceOf(closureObjective(p.loss, [p.w]), { samples: 50, seed: 8, rejectKinks: true });
  t.is(tf.memory().numTensors, n0, "no leaked tensors");
  t.is(r.rejected, 0);
  // The same seed draws the same probes, in order.
  const random = new RandomSource(8);
  const exact: number[] = [];
  for (let k = 0; k < 50; k++) {
    const probe = rademacherProbe([p.w], random);
    const v = Array.from(probe[p.w.name].dataSync());
    tf.dispose(Object.values(probe));
    exact.push(dot(v, matVec(H, v)));
  }
  const worst = Math.max(...exact.map((e, k) => Math.abs(r.samples[k] - e) / Math.abs(e)));
  t.log(`worst sample vs the analytic vᵀHv of its probe: relative ${worst.toExponential(2)}; estimate ${r.value.toFixed(4)} ± ${r.stdError.toFixed(4)}, analytic tr H ${p.trace().toFixed(4)}`);
  t.true(worst <= 1e-3, `relative error ${worst}`);
  t.true(Math.abs(r.value - p.trace()) <= 3 * r.stdError);
  t.deepEqual(bytes([p.w]), before, "weights bit-identical after the measurement");
  p.dispose();
});

test("sidesAgree: within half the larger side, finite; options are checked", async (t) => {
  t.true(sidesAgree(20, 21));
  t.true(sidesAgree(-3, -2));
  t.false(sidesAgree(20, 500));
  t.false(sidesAgree(2, -2));
  t.false(sidesAgree(NaN, 1));
  t.false(sidesAgree(Infinity, Infinity));
  const p = new LogisticProblem(16, 3, 1);
  await t.throwsAsync(() => hessianTrace(p.loss, [p.w], { rejectKinks: true, method: "central" }), { message: /leave "method" out with rejectKinks/ });
  await t.throwsAsync(() => hessianTrace(p.loss, [p.w], { rejectKinks: true, samples: 10, maxDraws: 5 }), { message: /maxDraws must be ≥ samples \(10\), got 5/ });
  p.dispose();
});
