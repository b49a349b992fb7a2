/**
 * Conv3DBackpropFilterV2 and Conv3DBackpropInputV2 on @tensorflow/tfjs-backend-wasm: flatfit
 * replaces the stock kernels, whose results are wrong (the input gradient always, the filter
 * gradient with strides above 1). Checked against the float64 definition and the cpu backend over
 * odd sizes, strides and both paddings, through tfjs's gradient of conv3d.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installBackendExtras } from "@flatfit/backends";
import { gaussian, onBackend, prng, testBackend } from "@flatfit/testing";
import { HALF_ULP, ONE_ULP, dyShape3, maxErr, refConv3dGrads, type Conv3DCase } from "./wasm-reference";

const stockInput = tf.getKernel("Conv3DBackpropInputV2", "wasm"); // tfjs-backend-wasm's own

test.before(async () => {
  installBackendExtras({ backends: ["wasm"] });
  await tf.setBackend(testBackend());
});

const CASES: Conv3DCase[] = [
  { x: [2, 5, 6, 5, 2], f: [2, 2, 2, 2, 3], strides: [1, 1, 1], pad: "valid" },
  { x: [2, 5, 6, 5, 2], f: [2, 2, 2, 2, 3], strides: [2, 2, 2], pad: "valid" },
  { x: [1, 5, 7, 6, 2], f: [3, 3, 3, 2, 2], strides: [2, 2, 2], pad: "same" },
  { x: [1, 5, 7, 6, 3], f: [3, 2, 3, 3, 2], strides: [1, 2, 1], pad: "same" },
  { x: [2, 4, 4, 4, 1], f: [1, 1, 1, 1, 4], strides: [2, 1, 2], pad: "valid" },
];

function dataFor(c: Conv3DCase, k: number) {
  const g = gaussian(prng(700 + k));
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  const fill = (n: number, relu = false) => Float32Array.from({ length: n }, () => (relu ? Math.max(0, g()) : g()));
  return { x: fill(size(c.x), true), w: fill(size(c.f)), dy: fill(size(dyShape3(c))) };
}

function grads(backend: string, c: Conv3DCase, d: ReturnType<typeof dataFor>) {
  return onBackend(backend, () =>
    tf.tidy(() => {
      const [x, w, dy] = [tf.tensor5d(d.x, c.x), tf.tensor5d(d.w, c.f), tf.tensor(d.dy, dyShape3(c))];
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.strides, c.pad);
      if (conv(x, w).shape.join() !== dyShape3(c).join()) throw new Error(`geometry: tfjs gives [${conv(x, w).shape}], the reference [${dyShape3(c)}]`);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, w]);
      return { dx: gx.dataSync().slice(), dW: gw.dataSync().slice() };
    }),
  );
}

test("both conv3d gradients on wasm give the float64 definition's values to float32 rounding, and the cpu backend's", async (t) => {
  for (const [k, c] of CASES.entries()) {
    const d = dataFor(c, k);
    const [wasm, cpu] = [await grads("wasm", c, d), await grads("cpu", c, d)];
    const ref = refConv3dGrads(d.x, d.w, d.dy, c);
    for (const what of ["dW", "dx"] as const) {
      const e = maxErr(wasm[what], ref[what]);
      t.true(e.scale > 0, `case ${k} ${what}: a non-trivial reference`);
      t.true(e.err <= HALF_ULP * e.scale, `case ${k} ${what}: wasm off the definition by ${e.err} (scale ${e.scale})`);
      const v = maxErr(wasm[what], cpu[what]);
      t.true(v.err <= ONE_ULP * v.scale, `case ${k} ${what}: wasm and cpu differ by ${v.err} (scale ${v.scale})`);
    }
  }
});

test("tfjs-backend-wasm's own Conv3DBackpropInputV2 is wrong (why flatfit replaces it)", async (t) => {
  t.truthy(stockInput);
  const c = CASES[0];
  const d = dataFor(c, 0);
  const got = await onBackend("wasm", () => {
    const backend = tf.backend();
    stockInput!.setupFunc?.(backend);
    return tf.tidy(() => {
      const inputs = { dy: tf.tensor(d.dy, dyShape3(c)), filter: tf.tensor5d(d.w, c.f) };
      const info = stockInput!.kernelFunc({ inputs, backend, attrs: { strides: c.strides, pad: c.pad, inputShape: c.x } }) as tf.TensorInfo;
      return tf.engine().makeTensorFromTensorInfo(info).dataSync().slice();
    });
  });
  const e = maxErr(got, refConv3dGrads(d.x, d.w, d.dy, c).dx);
  t.true(e.err > 0.1 * e.scale, `the stock kernel now gives the definition's values (off by ${e.err}): tfjs may have fixed it; reconsider the replacement`);
});
