/**
 * Fused kernels and the finite-difference HVP called outside any `tidy` leave only what they
 * return, on the cpu backend (flatfit's loops) and on a cpu backend without them (the tf-ops path
 * every other backend takes). Each value is also checked against float64 math, so the calls
 * measured are real ones.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { defineFusedKernel, dot, hessianVectorProduct, linearCombination, sumOfSquares, VariablePerturber } from "@flatfit/core";
import { LogisticProblem, UNFUSED_BACKEND, gaussian, onBackend, prng, relError } from "@flatfit/testing";

const BACKENDS = ["cpu", UNFUSED_BACKEND];

/** Tensors `fn` leaves behind, less the ones it returns. */
function leftOver(fn: () => tf.Tensor[]): { extra: number; out: tf.Tensor[] } {
  const n0 = tf.memory().numTensors;
  const out = fn();
  return { extra: tf.memory().numTensors - n0 - out.length, out };
}

const values = (n: number, seed: number): number[] => {
  const g = gaussian(prng(seed));
  return Array.from({ length: n }, () => g());
};

// A plugin-style kernel whose ops path makes several intermediates.
const scaledDiff = defineFusedKernel<{ s: number }>({
  name: "FlatfitTestScaledSquareDiff",
  cpu: ([a, b], { s }) => {
    const out = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = s * (a[i] - b[i]) * (a[i] - b[i]);
    return [out];
  },
  ops: ([a, b], { s }) => [tf.mul(tf.square(tf.sub(a, b)), s)],
});

for (const backend of BACKENDS) {
  test(`linearCombination, sumOfSquares, dot and a defined kernel outside a tidy leave only their results (${backend})`, async (t) => {
    await onBackend(backend, () => {
      const [a, b, c] = [1, 2, 3].map((s) => values(300, s));
      const [ta, tb, tc] = [a, b, c].map((v) => tf.tensor2d(v, [30, 10]));
      const coef = tf.scalar(-0.5);
      const want = a.map((x, i) => 2 * x - 0.5 * b[i] + 0.25 * c[i]);
      for (let round = 0; round < 2; round++) {
        const lc = leftOver(() => [
          linearCombination([
            [ta, 2],
            [tb, coef],
            [tc, 0.25],
          ]),
        ]);
        t.is(lc.extra, 0, `linearCombination left ${lc.extra} tensors`);
        t.true(relError(Array.from(lc.out[0].dataSync()), want) <= 1e-6);
        const one = leftOver(() => [linearCombination([[ta, coef]])]);
        t.is(one.extra, 0, `one-term linearCombination left ${one.extra} tensors`);
        const ss = leftOver(() => [sumOfSquares(ta)]);
        t.is(ss.extra, 0, `sumOfSquares left ${ss.extra} tensors`);
        t.true(relError([ss.out[0].dataSync()[0]], [a.reduce((s, x) => s + x * x, 0)]) <= 1e-5);
        const d = leftOver(() => [dot(ta, tb)]);
        t.is(d.extra, 0, `dot left ${d.extra} tensors`);
        t.true(relError([d.out[0].dataSync()[0]], [a.reduce((s, x, i) => s + x * b[i], 0)]) <= 1e-5);
        const k = leftOver(() => scaledDiff([ta, tb], { s: 3 }));
        t.is(k.extra, 0, `a defined kernel left ${k.extra} tensors`);
        t.true(relError(Array.from(k.out[0].dataSync()), a.map((x, i) => 3 * (x - b[i]) ** 2)) <= 1e-6);
        tf.dispose([...lc.out, ...one.out, ...ss.out, ...d.out, ...k.out]);
      }
      tf.dispose([ta, tb, tc, coef]);
    });
  });

  for (const [method, bound] of [["forward", 1e-3], ["central", 1e-4]] as const) {
    test(`${method} hessianVectorProduct outside a tidy leaves only its result (${backend})`, async (t) => {
      await onBackend(backend, () => {
        const p = new LogisticProblem(96, 5, method === "forward" ? 31 : 32);
        const at = new VariablePerturber([p.w]);
        const v = values(p.d, 40);
        const vT = tf.tensor2d(v, [p.d, 1]);
        for (let round = 0; round < 2; round++) {
          const r = leftOver(() => Object.values(hessianVectorProduct(at, p.oracle, { [p.w.name]: vT }, { method })));
          t.is(r.out.length, 1);
          t.is(r.extra, 0, `round ${round}: ${r.extra} tensors left beside the product`);
          const err = relError(Array.from(r.out[0].dataSync()), p.hvp(v));
          t.true(err <= bound, `relative error ${err.toExponential(2)}`);
          tf.dispose(r.out);
        }
        vT.dispose();
        p.dispose();
      });
    });
  }
}
