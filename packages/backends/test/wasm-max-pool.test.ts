/**
 * MaxPoolGrad, MaxPool3D and MaxPool3DGrad on @tensorflow/tfjs-backend-wasm: flatfit replaces the
 * stock kernels, which get windows whose values are all ≤ 0 wrong (they start the search for the
 * maximum at FLT_MIN) and pick the last of tied maxima. Checked against the float64
 * definition and the cpu backend over odd sizes, strides, paddings, negative values and ties; the
 * stock kernel's error is shown (so that a tfjs release that fixes it is noticed); and a stock
 * kernel registered after installBackendExtras (importing the wasm backend late) is replaced again
 * when wasm becomes the backend.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installBackendExtras } from "@flatfit/backends";
import { gaussian, onBackend, prng, testBackend } from "@flatfit/testing";
import { HALF_ULP, ONE_ULP, maxErr, poolOutShape, refMaxPool, refMaxPoolGrad, type PoolCase } from "./wasm-reference";

const stock = tf.getKernel("MaxPoolGrad", "wasm"); // tfjs-backend-wasm's own, before the extras replace it

test.before(async () => {
  installBackendExtras({ backends: ["wasm"] });
  await tf.setBackend(testBackend());
});

const CASES: PoolCase[] = [
  { x: [2, 7, 6, 3], filter: [2, 2], strides: [2, 2], pad: "valid" },
  { x: [2, 7, 6, 3], filter: [2, 2], strides: [2, 2], pad: "same" },
  { x: [1, 9, 8, 4], filter: [3, 3], strides: [2, 2], pad: "same" },
  { x: [3, 5, 5, 2], filter: [3, 3], strides: [1, 1], pad: "valid" },
  { x: [2, 6, 9, 3], filter: [2, 3], strides: [1, 2], pad: "same" },
  { x: [1, 6, 7, 2], filter: [3, 3], strides: [2, 2], pad: 1 },
  { x: [4, 12, 12, 8], filter: [2, 2], strides: [2, 2], pad: "valid" },
  { x: [1, 4, 5, 6, 2], filter: [2, 2, 2], strides: [2, 2, 2], pad: "valid" },
  { x: [2, 5, 4, 5, 1], filter: [3, 3, 3], strides: [1, 2, 2], pad: "same" },
  { x: [3, 4, 5, 4, 3], filter: [2, 2, 2], strides: [2, 2, 2], pad: "same" },
];

type Values = "gaussian" | "negative" | "ties";

/** x with Gaussian values, all values < 0, or a few integers (many tied maxima); dy Gaussian. */
function dataFor(c: PoolCase, k: number, values: Values) {
  const g = gaussian(prng(500 + k));
  const r = prng(600 + k);
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  const x = Float32Array.from({ length: size(c.x) }, () => (values === "gaussian" ? g() : values === "negative" ? -0.1 - Math.abs(g()) : Math.floor(r() * 4) - 2));
  return { x, dy: Float32Array.from({ length: size(poolOutShape(c)) }, () => g()) };
}

/** dx through tfjs's gradient of maxPool / maxPool3d on `backend` (runs MaxPoolGrad / MaxPool3DGrad). */
function poolGrad(backend: string, c: PoolCase, d: ReturnType<typeof dataFor>) {
  return onBackend(backend, () =>
    tf.tidy(() => {
      const [x, dy] = [tf.tensor(d.x, c.x), tf.tensor(d.dy, poolOutShape(c))];
      const pool = (v: tf.Tensor) =>
        c.x.length === 5
          ? tf.maxPool3d(v as tf.Tensor5D, c.filter as [number, number, number], c.strides as [number, number, number], c.pad as "same")
          : tf.maxPool(v as tf.Tensor4D, c.filter as [number, number], c.strides as [number, number], c.pad);
      if (pool(x).shape.join() !== poolOutShape(c).join()) throw new Error(`geometry: tfjs gives [${pool(x).shape}], the reference [${poolOutShape(c)}]`);
      return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(pool(v), dy)))(x).dataSync().slice();
    }),
  );
}

for (const values of ["gaussian", "negative", "ties"] as const) {
  test(`max pooling gradients on wasm (${values} inputs) give the definition's values and the cpu backend's`, async (t) => {
    for (const [k, c] of CASES.entries()) {
      const d = dataFor(c, k, values);
      const wasm = await poolGrad("wasm", c, d);
      const ref = refMaxPoolGrad(d.x, d.dy, c);
      const e = maxErr(wasm, ref);
      t.true(e.scale > 0, `case ${k}: a non-trivial reference`);
      t.true(e.err <= HALF_ULP * e.scale, `case ${k}: wasm off the definition by ${e.err} (scale ${e.scale})`);
      // ties in 3-D: tfjs's cpu MaxPool3DGrad takes the last tied maximum (its 2-D kernel, and these, the first)
      if (values === "ties" && c.x.length === 5) continue;
      const cpu = await poolGrad("cpu", c, d);
      const v = maxErr(wasm, cpu);
      t.true(v.err <= ONE_ULP * v.scale, `case ${k}: wasm and cpu differ by ${v.err}`);
    }
  });
}

test("MaxPool3D on wasm (values of either sign, all negative, tied) gives each window's maximum, as the cpu backend does", async (t) => {
  for (const values of ["gaussian", "negative", "ties"] as const) {
    for (const [k, c] of CASES.entries()) {
      if (c.x.length !== 5) continue;
      const d = dataFor(c, k, values);
      const run = (backend: string) =>
        onBackend(backend, () =>
          tf.tidy(() => tf.maxPool3d(tf.tensor5d(d.x, c.x as [number, number, number, number, number]), c.filter as [number, number, number], c.strides as [number, number, number], c.pad as "same").dataSync().slice()),
        );
      const [wasm, cpu] = [await run("wasm"), await run("cpu")];
      t.deepEqual(Array.from(wasm), Array.from(refMaxPool(d.x, c)), `case ${k} (${values}): wasm's maxima`);
      t.deepEqual(Array.from(wasm), Array.from(cpu), `case ${k} (${values}): wasm and cpu`);
    }
  }
});

test("tfjs-backend-wasm's own MaxPoolGrad is wrong on windows of negative values (why flatfit replaces it)", async (t) => {
  t.truthy(stock, "the wasm backend registers a MaxPoolGrad");
  const c = CASES[0];
  const d = dataFor(c, 0, "negative");
  const ref = refMaxPoolGrad(d.x, d.dy, c);
  const got = await onBackend("wasm", () => {
    const backend = tf.backend();
    stock!.setupFunc?.(backend);
    return tf.tidy(() => {
      const [x, dy] = [tf.tensor(d.x, c.x), tf.tensor(d.dy, poolOutShape(c))];
      const y = tf.maxPool(x as tf.Tensor4D, 2, 2, "valid");
      const info = stock!.kernelFunc({ inputs: { dy, input: x, output: y }, backend, attrs: { filterSize: c.filter, strides: c.strides, pad: c.pad } }) as tf.TensorInfo;
      const out = tf.engine().makeTensorFromTensorInfo(info);
      return out.dataSync().slice();
    });
  });
  const e = maxErr(got, ref);
  t.true(e.err > 0.1 * e.scale, `the stock kernel now gives the definition's values (off by ${e.err}): tfjs may have fixed it; reconsider the replacement`);
});

test("a stock MaxPoolGrad registered after installBackendExtras (the wasm backend imported late) is replaced when wasm becomes the backend", async (t) => {
  const ours = tf.getKernel("MaxPoolGrad", "wasm");
  t.not(ours, stock, "installBackendExtras replaced the stock kernel");
  const warn = console.warn;
  console.warn = () => {}; // tfjs warns that the kernel is already registered
  try {
    tf.registerKernel(stock!); // what importing @tensorflow/tfjs-backend-wasm after the call does
  } finally {
    console.warn = warn;
  }
  t.is(tf.getKernel("MaxPoolGrad", "wasm"), stock);
  const c = CASES[0];
  const d = dataFor(c, 0, "negative");
  const got = await poolGrad("wasm", c, d); // onBackend: setBackend("wasm") runs the kernels' setup
  t.is(tf.getKernel("MaxPoolGrad", "wasm"), ours, "flatfit's kernel is back");
  const e = maxErr(got, refMaxPoolGrad(d.x, d.dy, c));
  t.true(e.err <= HALF_ULP * e.scale, `off by ${e.err}`);
});
