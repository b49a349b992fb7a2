import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { RandomSource } from "@flatfit/core";

test("a seeded RandomSource repeats exactly; different seeds differ", (t) => {
  const a = new RandomSource(42);
  const b = new RandomSource(42);
  const c = new RandomSource(43);
  const xs = Array.from({ length: 5 }, () => a.next());
  t.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  t.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
  t.deepEqual(Array.from(a.normal([4], 2).dataSync()), Array.from(b.normal([4], 2).dataSync()));
});

test("noise has the requested standard deviation; signs(p) has the requested probabilities", (t) => {
  const r = new RandomSource(7);
  const n = 40000;
  for (const draw of [() => r.normal([n], 0.3), () => r.laplace([n], 0.3)]) {
    const x = Array.from(draw().dataSync());
    const mean = x.reduce((s, v) => s + v, 0) / n;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    t.true(Math.abs(mean) < 0.01, `mean ${mean}`);
    t.true(Math.abs(std - 0.3) < 0.01, `std ${std}`);
  }
  const s = Array.from(r.signs([n], 0.1).dataSync());
  const plus = s.filter((v) => v === 1).length / n;
  const minus = s.filter((v) => v === -1).length / n;
  t.true(Math.abs(plus - 0.1) < 0.01 && Math.abs(minus - 0.1) < 0.01, `${plus} ${minus}`);
  t.is(s.filter((v) => v !== 0 && v !== 1 && v !== -1).length, 0);
  tf.disposeVariables();
});
