import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { counterKey, counterUniform, RandomSource } from "@flatfit/core";

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

const moments = (x: number[]) => {
  const n = x.length;
  const mean = x.reduce((s, v) => s + v, 0) / n;
  const m2 = x.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  const m4 = x.reduce((s, v) => s + (v - mean) ** 4, 0) / n;
  const meanAbs = x.reduce((s, v) => s + Math.abs(v), 0) / n;
  return { mean, std: Math.sqrt(m2), kurtosis: m4 / (m2 * m2), meanAbs, min: x.reduce((a, v) => Math.min(a, v), Infinity), max: x.reduce((a, v) => Math.max(a, v), -Infinity) };
};

test("each distribution has its shape: uniform bounds, Gaussian and Laplace kurtosis and mean |x|", (t) => {
  const r = new RandomSource(11);
  const n = 200_000;
  const u = moments(Array.from(r.uniform([n], -2, 3).dataSync()));
  t.true(u.min >= -2 && u.max < 3, `uniform range [${u.min}, ${u.max}]`);
  t.true(Math.abs(u.mean - 0.5) < 0.01 && Math.abs(u.std - 5 / Math.sqrt(12)) < 0.01, `uniform mean ${u.mean}, std ${u.std}`);
  // Gaussian: kurtosis 3, E|x| = σ√(2/π). Laplace: kurtosis 6, E|x| = b = σ/√2.
  const g = moments(Array.from(r.normal([n], 2).dataSync()));
  t.true(Math.abs(g.kurtosis - 3) < 0.1 && Math.abs(g.meanAbs - 2 * Math.sqrt(2 / Math.PI)) < 0.01, `normal kurtosis ${g.kurtosis}, E|x| ${g.meanAbs}`);
  const l = moments(Array.from(r.laplace([n], 2).dataSync()));
  t.true(Math.abs(l.kurtosis - 6) < 0.4 && Math.abs(l.meanAbs - Math.SQRT2) < 0.01, `laplace kurtosis ${l.kurtosis}, E|x| ${l.meanAbs}`);
  t.true(Number.isFinite(l.min) && Number.isFinite(l.max));
});

test("draws do not depend on the backend, and successive draws differ", async (t) => {
  const draw = () => {
    const r = new RandomSource(3);
    return [r.normal([5]), r.uniform([5]), r.signs([5], 0.3), r.laplace([5])].map((x) => Array.from(x.dataSync()));
  };
  const onCpu = draw();
  const Cpu = tf.findBackend("cpu")!.constructor as new () => tf.KernelBackend;
  tf.registerBackend("cpu-random-check", () => new Cpu());
  for (const k of tf.getKernelsForBackend("cpu")) tf.registerKernel({ ...k, backendName: "cpu-random-check" });
  await tf.setBackend("cpu-random-check");
  const onOther = draw();
  await tf.setBackend("cpu");
  t.deepEqual(onOther, onCpu);
  const r = new RandomSource(3);
  t.notDeepEqual(Array.from(r.normal([5]).dataSync()), Array.from(r.normal([5]).dataSync()));
});

test("the counter-based stream: 24-bit values on [0, 1), each fixed by (seed, index) alone, uniform and uncorrelated", (t) => {
  const n = 200_000;
  const key = counterKey(7);
  const u = Array.from({ length: n }, (_, i) => counterUniform(key, i));
  t.true(u.every((v) => v >= 0 && v < 1 && Number.isInteger(v * 2 ** 24)), "multiples of 2^-24 in [0, 1): exact in float32");
  t.true(u.every((v) => Math.fround(2 * v - 1) === 2 * v - 1), "2u − 1 is exact in float32 (what the device computes)");
  // the value at an index does not depend on how many were drawn before it (a device computes any element alone)
  t.is(counterUniform(key, 123_456), u[123_456]);
  const m = moments(u);
  t.true(Math.abs(m.mean - 0.5) < 0.003 && Math.abs(m.std - 1 / Math.sqrt(12)) < 0.002, `mean ${m.mean}, std ${m.std}`);
  // χ² over 64 equal bins: 63 degrees of freedom, 99.9% quantile 103.4
  const bins = new Array<number>(64).fill(0);
  for (const v of u) bins[Math.floor(v * 64)]++;
  const chi2 = bins.reduce((s, c) => s + (c - n / 64) ** 2 / (n / 64), 0);
  t.true(chi2 < 103.4, `χ² ${chi2.toFixed(1)} over 64 bins`);
  // neighbours (lag 1, and the next row of a 128-wide matrix) and another seed's stream: correlation ~ 0 (sd 1/√n ≈ 0.0022)
  const corr = (a: number[], b: number[]) => {
    const ma = moments(a).mean, mb = moments(b).mean;
    let sab = 0, saa = 0, sbb = 0;
    for (let i = 0; i < a.length; i++) (sab += (a[i] - ma) * (b[i] - mb)), (saa += (a[i] - ma) ** 2), (sbb += (b[i] - mb) ** 2);
    return sab / Math.sqrt(saa * sbb);
  };
  const other = Array.from({ length: n }, (_, i) => counterUniform(counterKey(8), i));
  for (const [name, r] of [
    ["lag 1", corr(u.slice(0, -1), u.slice(1))],
    ["lag 128", corr(u.slice(0, -128), u.slice(128))],
    ["seed 7 vs seed 8", corr(u, other)],
  ] as const) t.true(Math.abs(r) < 0.012, `${name}: correlation ${r.toFixed(4)}`);
});
