/**
 * UnsortedSegmentSum on @tensorflow/tfjs-backend-wasm (which lacks it; it is gather's gradient, so
 * Embedding layers need it): against the float64 definition and tfjs's cpu kernel, with repeated,
 * absent and out-of-range ids, multi-axis ids, int32 values; and reached through gather's gradient.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installBackendExtras } from "@flatfit/backends";
import { gaussian, onBackend, prng, testBackend } from "@flatfit/testing";
import { HALF_ULP, ONE_ULP, maxErr, refSegmentSum } from "./wasm-reference";

test.before(async () => {
  installBackendExtras({ backends: ["wasm"] });
  await tf.setBackend(testBackend());
});

interface SegCase {
  x: number[];
  ids: number[]; // shape of the ids: a prefix of x
  numSegments: number;
  dtype?: "float32" | "int32";
  /** ids drawn from [lo, hi) */
  range?: [number, number];
  /** checked against the definition only */
  noCpu?: boolean;
}

const CASES: SegCase[] = [
  { x: [7, 5], ids: [7], numSegments: 4 },
  { x: [64, 33], ids: [64], numSegments: 50 }, // most rows repeat an id, some ids never occur
  { x: [9], ids: [9], numSegments: 3 }, // scalar rows
  { x: [3, 5, 2, 3], ids: [3, 5], numSegments: 11, noCpu: true }, // ids over two axes: tfjs's op documents 1-D ids, its cpu kernel fails on more
  { x: [20, 4], ids: [20], numSegments: 6, range: [-2, 9] }, // ids outside [0, 6) are dropped
  { x: [13, 3], ids: [13], numSegments: 5, dtype: "int32" },
  { x: [448, 16], ids: [448], numSegments: 1000 }, // an embedding gradient: a batch of tokens, a large vocabulary
];

function dataFor(c: SegCase, k: number) {
  const r = prng(300 + k);
  const g = gaussian(r);
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  const [lo, hi] = c.range ?? [0, c.numSegments];
  const ids = Int32Array.from({ length: size(c.ids) }, () => lo + Math.floor(r() * (hi - lo)));
  const x = c.dtype === "int32" ? Int32Array.from({ length: size(c.x) }, () => Math.floor(r() * 200) - 100) : Float32Array.from({ length: size(c.x) }, () => g());
  return { x, ids };
}

function run(backend: string, c: SegCase, d: ReturnType<typeof dataFor>) {
  return onBackend(backend, () =>
    tf.tidy(() => {
      const out = tf.engine().runKernel("UnsortedSegmentSum", { x: tf.tensor(d.x, c.x, c.dtype ?? "float32"), segmentIds: tf.tensor(d.ids, c.ids, "int32") }, { numSegments: c.numSegments }) as tf.Tensor;
      return { values: out.dataSync().slice(), shape: out.shape, dtype: out.dtype };
    }),
  );
}

test("UnsortedSegmentSum on wasm gives the float64 definition's values and the cpu kernel's", async (t) => {
  for (const [k, c] of CASES.entries()) {
    const d = dataFor(c, k);
    const wasm = await run("wasm", c, d);
    t.deepEqual(wasm.shape, [c.numSegments, ...c.x.slice(c.ids.length)], `case ${k}: shape`);
    t.is(wasm.dtype, c.dtype ?? "float32", `case ${k}: dtype of x`);
    const ref = refSegmentSum(d.x, d.ids, c.numSegments);
    const e = maxErr(wasm.values, ref);
    t.true(e.scale > 0, `case ${k}: a non-trivial reference`);
    t.true(e.err <= HALF_ULP * e.scale, `case ${k}: off the definition by ${e.err} (scale ${e.scale})`);
    if (c.dtype === "int32") t.deepEqual(Array.from(wasm.values), Array.from(ref), `case ${k}: int32 sums exact`);
    if (c.noCpu) continue;
    const cpu = await run("cpu", c, d);
    const v = maxErr(wasm.values, cpu.values);
    t.true(v.err <= ONE_ULP * v.scale, `case ${k}: wasm and cpu differ by ${v.err}`);
  }
});

test("gather's gradient (an embedding lookup) on wasm runs the kernel and gives the definition's values", async (t) => {
  const [vocab, dim, n] = [37, 6, 50];
  const r = prng(7);
  const g = gaussian(r);
  const table = Float32Array.from({ length: vocab * dim }, () => g());
  const ids = Int32Array.from({ length: n }, () => Math.floor(r() * vocab));
  const dy = Float32Array.from({ length: n * dim }, () => g());
  const got = await onBackend("wasm", () =>
    tf.tidy(() => {
      const [w, i, u] = [tf.tensor2d(table, [vocab, dim]), tf.tensor1d(ids, "int32"), tf.tensor2d(dy, [n, dim])];
      return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, i), u)))(w).dataSync().slice();
    }),
  );
  const e = maxErr(got, refSegmentSum(dy, ids, vocab));
  t.true(e.err <= HALF_ULP * e.scale, `off by ${e.err} (scale ${e.scale})`);
});

test("UnsortedSegmentSum on wasm: ids that are not a prefix of x's shape are a clear error", async (t) => {
  await onBackend("wasm", () => {
    const x = tf.ones([4, 3]);
    const ids = tf.zeros([3], "int32");
    t.throws(() => tf.engine().runKernel("UnsortedSegmentSum", { x, segmentIds: ids }, { numSegments: 2 }), {
      message: '@flatfit/backends UnsortedSegmentSum on "wasm": segmentIds shape [3] must be a prefix of x\'s shape [4,3]',
    });
    tf.dispose([x, ids]);
  });
});
