/**
 * DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput on
 * @tensorflow/tfjs-backend-wasm (which lacks both): against the float64 definition and against
 * tfjs's cpu kernels, over odd sizes, strides, paddings and channel multipliers; and reached
 * through tfjs's gradient of depthwiseConv2d.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installBackendExtras } from "@flatfit/backends";
import { gaussian, onBackend, prng, testBackend } from "@flatfit/testing";
import { HALF_ULP, ONE_ULP, dyShape, maxErr, refDepthwiseFilterGrad, refDepthwiseInputGrad, type DepthwiseCase } from "./wasm-reference";

test.before(async () => {
  installBackendExtras({ backends: ["wasm"] });
  await tf.setBackend(testBackend());
});

const CASES: DepthwiseCase[] = [
  { x: [2, 7, 6, 3], f: [3, 3, 3, 1], strides: [1, 1], pad: "same" },
  { x: [3, 9, 7, 2], f: [3, 3, 2, 2], strides: [2, 2], pad: "same" },
  { x: [2, 11, 9, 4], f: [5, 3, 4, 3], strides: [2, 1], pad: "valid" },
  { x: [1, 8, 8, 5], f: [2, 2, 5, 1], strides: [2, 2], pad: "valid" },
  { x: [2, 7, 10, 3], f: [3, 2, 3, 2], strides: [1, 3], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [2, 6, 5, 2], f: [3, 3, 2, 4], strides: [1, 1], pad: 1 },
  { x: [1, 5, 5, 3], f: [1, 1, 3, 2], strides: [2, 2], pad: "same" },
  { x: [4, 16, 16, 8], f: [3, 3, 8, 1], strides: [1, 1], pad: "same" },
  { x: [2, 13, 13, 6], f: [3, 3, 6, 1], strides: [2, 2], pad: "same" },
];

/** Dilated cases: tfjs's gradient refuses dilations > 1, and its cpu kernels ignore them, so these are checked against the definition only. */
const DILATED: DepthwiseCase[] = [
  { x: [2, 9, 8, 3], f: [3, 3, 3, 2], strides: [1, 1], pad: "same", dilations: [2, 2] },
  { x: [1, 10, 7, 2], f: [2, 3, 2, 1], strides: [1, 1], pad: "valid", dilations: [3, 2] },
];

function attrsOf(c: DepthwiseCase) {
  return { strides: c.strides, pad: c.pad, dilations: c.dilations ?? [1, 1] };
}

/** Seeded float32 data: x with ReLU's exact zeros (about half), w and dy Gaussian. */
function dataFor(c: DepthwiseCase, k: number) {
  const g = gaussian(prng(100 + k));
  const fill = (n: number, relu = false) => Float32Array.from({ length: n }, () => (relu ? Math.max(0, g()) : g()));
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  return { x: fill(size(c.x), true), w: fill(size(c.f)), dy: fill(size(dyShape(c))) };
}

function runBoth(backend: string, c: DepthwiseCase, d: ReturnType<typeof dataFor>) {
  return onBackend(backend, () =>
    tf.tidy(() => {
      const x = tf.tensor4d(d.x, c.x);
      const w = tf.tensor4d(d.w, c.f);
      const dy = tf.tensor4d(d.dy, dyShape(c));
      const dW = tf.engine().runKernel("DepthwiseConv2dNativeBackpropFilter", { x, dy }, { ...attrsOf(c), filterShape: c.f }) as tf.Tensor;
      const dx = tf.engine().runKernel("DepthwiseConv2dNativeBackpropInput", { dy, filter: w }, { ...attrsOf(c), inputShape: c.x }) as tf.Tensor;
      if (backend === "wasm") {
        // the case's own geometry is tfjs's: the forward output has dy's shape
        const y = tf.depthwiseConv2d(x, w, c.strides, c.pad as "same", "NHWC", c.dilations ?? 1);
        if (y.shape.join() !== dyShape(c).join()) throw new Error(`geometry: tfjs gives [${y.shape}], the reference [${dyShape(c)}]`);
      }
      return { dW: dW.dataSync().slice(), dx: dx.dataSync().slice(), shapes: [dW.shape, dx.shape] };
    }),
  );
}

test("both depthwise gradients on wasm give the float64 definition's values to float32 rounding, and the cpu kernels' values", async (t) => {
  for (const [k, c] of CASES.entries()) {
    const d = dataFor(c, k);
    const wasm = await runBoth("wasm", c, d);
    const cpu = await runBoth("cpu", c, d);
    t.deepEqual(wasm.shapes, [c.f, c.x], `case ${k}: output shapes`);
    const refW = refDepthwiseFilterGrad(d.x, d.dy, c);
    const refX = refDepthwiseInputGrad(d.dy, d.w, c);
    for (const [what, got, ref, onCpu] of [["dW", wasm.dW, refW, cpu.dW], ["dx", wasm.dx, refX, cpu.dx]] as const) {
      const e = maxErr(got, ref);
      t.true(e.scale > 0, `case ${k} ${what}: a non-trivial reference`);
      t.true(e.err <= HALF_ULP * e.scale, `case ${k} ${what}: wasm off the definition by ${e.err} (scale ${e.scale})`);
      const v = maxErr(got, onCpu);
      t.true(v.err <= ONE_ULP * v.scale, `case ${k} ${what}: wasm and cpu differ by ${v.err} (scale ${v.scale})`);
    }
  }
});

test("dilated depthwise gradients on wasm give the float64 definition's values", async (t) => {
  for (const [k, c] of DILATED.entries()) {
    const d = dataFor(c, 50 + k);
    const wasm = await runBoth("wasm", c, d);
    const eW = maxErr(wasm.dW, refDepthwiseFilterGrad(d.x, d.dy, c));
    const eX = maxErr(wasm.dx, refDepthwiseInputGrad(d.dy, d.w, c));
    t.true(eW.err <= HALF_ULP * eW.scale, `dilated case ${k} dW: off by ${eW.err} (scale ${eW.scale})`);
    t.true(eX.err <= HALF_ULP * eX.scale, `dilated case ${k} dx: off by ${eX.err} (scale ${eX.scale})`);
  }
});

test("tfjs's gradient of depthwiseConv2d runs the wasm kernels and gives the definition's values", async (t) => {
  for (const k of [1, 2, 4]) {
    const c = CASES[k];
    const d = dataFor(c, k);
    const got = await onBackend("wasm", () =>
      tf.tidy(() => {
        const [x, w, dy] = [tf.tensor4d(d.x, c.x), tf.tensor4d(d.w, c.f), tf.tensor4d(d.dy, dyShape(c))];
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad as "same"), dy)))([x, w]);
        return { gx: gx.dataSync().slice(), gw: gw.dataSync().slice() };
      }),
    );
    const eW = maxErr(got.gw, refDepthwiseFilterGrad(d.x, d.dy, c));
    const eX = maxErr(got.gx, refDepthwiseInputGrad(d.dy, d.w, c));
    t.true(eW.err <= HALF_ULP * eW.scale, `case ${k}: filter gradient off by ${eW.err}`);
    t.true(eX.err <= HALF_ULP * eX.scale, `case ${k}: input gradient off by ${eX.err}`);
  }
});

test("the depthwise kernels reject other dtypes with a clear error", async (t) => {
  await onBackend("wasm", () => {
    const x = tf.ones([1, 3, 3, 2], "int32");
    const dy = tf.ones([1, 3, 3, 2]);
    t.throws(() => tf.engine().runKernel("DepthwiseConv2dNativeBackpropFilter", { x, dy }, { strides: 1, pad: "same", dilations: 1, filterShape: [3, 3, 2, 1] }), {
      message: '@flatfit/backends DepthwiseConv2dNativeBackpropFilter on "wasm": input "x" has dtype int32 (accepted: float32)',
    });
    tf.dispose([x, dy]);
  });
});
