/**
 * Fused kernels: on the cpu backend flatfit's arithmetic runs as its own one-pass kernels; on any
 * other backend the same math runs as tf ops. Both are checked against float64 references, and
 * every method trains the same on both.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, dot, linearCombination, sumOfSquares, type PluginSpec } from "@flatfit/core";
import { UNFUSED_BACKEND, blobs, gaussian, kernelsRun, mlp, onBackend, prng, relError, weightsOf } from "@flatfit/testing";

const quiet = { logSink: () => {} };
const BACKENDS = ["cpu", UNFUSED_BACKEND];

function vectors(k: number, n: number, seed: number): number[][] {
  const g = gaussian(prng(seed));
  return Array.from({ length: k }, () => Array.from({ length: n }, () => g()));
}

for (const backend of BACKENDS) {
  test(`linearCombination of 1…5 terms, number and tensor coefficients, equals Σ c·x in float64 (${backend})`, async (t) => {
    await onBackend(backend, () => {
      for (let k = 1; k <= 5; k++) {
        const xs = vectors(k, 257, k);
        const cs = xs.map((_, i) => (i % 2 ? -0.75 * (i + 1) : 1.5 / (i + 1)));
        const want = xs[0].map((_, j) => xs.reduce((s, x, i) => s + cs[i] * x[j], 0));
        const got = tf.tidy(() => {
          const terms = xs.map((x, i) => [tf.tensor2d(x, [257, 1]), i % 2 ? tf.scalar(cs[i]) : cs[i]] as const);
          return linearCombination(terms);
        });
        t.deepEqual(got.shape, [257, 1]);
        const err = relError(Array.from(got.dataSync()), want);
        t.true(err <= 1e-6, `${k} terms: relative error ${err}`);
        got.dispose();
      }
    });
  });

  test(`sumOfSquares and dot equal their float64 sums (${backend})`, async (t) => {
    await onBackend(backend, () => {
      const [a, b] = vectors(2, 10_000, 9);
      const [ta, tb] = [tf.tensor(a, [100, 100]), tf.tensor(b, [100, 100])];
      const ss = sumOfSquares(ta);
      const d = dot(ta, tb);
      t.deepEqual(ss.shape, []);
      t.true(relError([ss.dataSync()[0]], [a.reduce((s, x) => s + x * x, 0)]) <= 1e-5);
      t.true(relError([d.dataSync()[0]], [a.reduce((s, x, i) => s + x * b[i], 0)]) <= 1e-5);
      tf.dispose([ta, tb, ss, d]);
    });
  });
}

test("with coefficients ±1 linearCombination is exactly float32's a + b and a − b", async (t) => {
  const [a, b] = vectors(2, 4096, 3).map((x) => tf.tensor1d(x));
  const sum = linearCombination([
    [a, 1],
    [b, 1],
  ]);
  const diff = linearCombination([
    [a, 1],
    [b, -1],
  ]);
  t.deepEqual(Array.from(sum.dataSync()), Array.from(tf.add(a, b).dataSync()));
  t.deepEqual(Array.from(diff.dataSync()), Array.from(tf.sub(a, b).dataSync()));
  tf.dispose([a, b, sum, diff]);
});

test("the cpu backend runs the fused kernel; a backend without it runs tf ops", async (t) => {
  const run = () => {
    const a = tf.ones([8]);
    return linearCombination([
      [a, 2],
      [a, tf.scalar(3)],
    ]);
  };
  // cpu-only by nature: it names the fused kernel, so it runs on cpu whatever backend the suite runs on
  t.true((await onBackend("cpu", () => kernelsRun(run))).includes("FlatfitLinearCombination"));
  const unfused = await onBackend(UNFUSED_BACKEND, () => kernelsRun(run));
  t.false(unfused.includes("FlatfitLinearCombination"));
  t.true(unfused.includes("Multiply"));
});

test("bad input is a clear error", (t) => {
  const [a, b] = [tf.ones([2, 3]), tf.ones([3, 2])];
  t.throws(() => linearCombination([]), { message: /at least one \[tensor, coefficient\] term/ });
  t.throws(
    () =>
      linearCombination([
        [a, 1],
        [b, 1],
      ]),
    { message: /every tensor must have shape \[2,3\], got \[3,2\]/ },
  );
  t.throws(() => linearCombination([[a, tf.ones([2])]]), { message: /coefficient must be a number or a scalar tensor, got shape \[2\]/ });
  t.throws(() => dot(a, b), { message: /shapes differ/ });
  tf.dispose([a, b]);
});

const METHODS: Array<{ name: string; plugins: PluginSpec[] }> = [
  { name: "pertopt", plugins: [{ use: "pertopt", eta: 1e3, gamma: 1, beta2: 10 }] },
  { name: "hero elementwise", plugins: [{ use: "hero", h: 0.5, gamma: 0.1 }] },
  { name: "hero layer", plugins: [{ use: "hero", h: 0.5, gamma: 0.1, scaling: "layer" }] },
  { name: "hero adaptive", plugins: [{ use: "hero", h: 0.5, gamma: 0.1, scaling: "adaptive" }] },
  { name: "nso gaussian k=2", plugins: [{ use: "nso", sigma: 0.05, samples: 2 }] },
  { name: "nso laplace", plugins: [{ use: "nso", sigma: 0.05, distribution: "laplace" }] },
  { name: "nso uniform", plugins: [{ use: "nso", sigma: 0.05, distribution: "uniform" }] },
  { name: "seht", plugins: [{ use: "seht", lambda: 0.01 }] },
  { name: "seht-D, layers, 3 samples", plugins: [{ use: "seht", lambda: 0.01, prob: 0.1, layerProb: 0.5, samples: 3 }] },
  { name: "grad-l1", plugins: [{ use: "grad-l1", lambda: 0.01 }] },
  { name: "nso then grad-l1", plugins: [{ use: "nso", sigma: 0.05 }, { use: "grad-l1", lambda: 0.01 }] },
];

async function trainOn(backend: string, plugins: PluginSpec[]): Promise<number[][]> {
  return onBackend(backend, async () => {
    const { x, y } = blobs(48, 4, 3, 2);
    const ff = await createFlatfit({ seed: 5, plugins }, quiet);
    const model = mlp(3);
    model.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy" });
    await model.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0, callbacks: [ff.callbacks()] });
    if (ff.backend !== backend || tf.getBackend() !== backend) throw new Error(`trained on ${tf.getBackend()} (flatfit: ${ff.backend}), not ${backend}`);
    const w = weightsOf(model);
    ff.dispose();
    model.dispose();
    tf.dispose([x, y]);
    return w;
  });
}

test("every method trains the same with fused kernels (cpu) and with tf ops (6 steps, same seed)", async (t) => {
  for (const { name, plugins } of METHODS) {
    const [fused, plain] = [await trainOn("cpu", plugins), await trainOn(UNFUSED_BACKEND, plugins)];
    const fresh = mlp(3);
    const untrained = weightsOf(fresh);
    fresh.dispose();
    const err = relError(fused.flat(), plain.flat());
    const moved = relError(fused.flat(), untrained.flat());
    t.true(err <= 1e-4, `${name}: weights differ by ${err.toExponential(2)}`);
    t.true(moved > 1e-2, `${name}: training moved the weights (${moved.toExponential(2)})`);
    t.log(`${name}: relative difference ${err.toExponential(2)}`);
  }
});

test("addMany sums any number of tensors as tf.addN does, in groups of at most ADD_N_MAX_INPUTS inputs (webgpu's limit), leaving no tensor", async (t) => {
  const { addMany, ADD_N_MAX_INPUTS } = await import("@flatfit/core");
  t.is(ADD_N_MAX_INPUTS, 7);
  for (const n of [1, 2, 7, 8, 9, 15, 50]) {
    const parts = Array.from({ length: n }, (_, i) => tf.tensor1d([i + 1, -(i + 1) / 4, 0.5]));
    const before = tf.memory().numTensors;
    const sum = addMany(parts);
    t.is(tf.memory().numTensors, before + 1, `n = ${n}: only the sum is new`);
    const tri = (n * (n + 1)) / 2;
    t.deepEqual(Array.from(sum.dataSync()), [tri, -tri / 4, 0.5 * n], `n = ${n}`);
    tf.dispose([sum, ...parts]);
  }
  t.throws(() => addMany([]), { message: /addMany: expected at least one tensor/ });
});
