import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { EXTRA_BACKENDS, installBackendExtras } from "@flatfit/backends";
import { onBackend, testBackend } from "@flatfit/testing";
import { CASES, filterGrad, inputsFor, maxError, referenceFilterGrad } from "./reference";

test("Conv2DBackpropFilter on cpu: the extra gives the float64 definition's values to float32 rounding, the stock kernel's within its float32 sums", async (t) => {
  await onBackend("cpu", () => {
    const inputs = CASES.map((c, k) => ({ c, ...inputsFor(c, k) }));
    const stock = inputs.map(({ c, x, w, dy }) => filterGrad(x, w, dy, c));
    t.deepEqual(installBackendExtras({ backends: ["cpu"] }), ["Conv2DBackpropFilter@cpu"]);
    inputs.forEach(({ c, x, w, dy }, k) => {
      const fast = filterGrad(x, w, dy, c);
      const exact = referenceFilterGrad(x.dataSync(), dy.dataSync(), c);
      const f = maxError(fast, exact);
      const s = maxError(stock[k], exact);
      // one float32 rounding of a float64 sum: ≤ 2⁻²⁴ of the entry
      t.true(f.err <= 6e-8 * f.scale, `case ${k}: extra off by ${f.err} (scale ${f.scale})`);
      t.true(s.err <= 1e-5 * s.scale, `case ${k}: stock off by ${s.err}`);
      const diff = maxError(fast, Float64Array.from(stock[k]));
      t.true(diff.err <= 1e-5 * diff.scale, `case ${k}: extra and stock differ by ${diff.err}`);
      t.true(f.scale > 0);
    });
    tf.dispose(inputs.flatMap(({ x, w, dy }) => [x, w, dy]));
  });
});

test("installBackendExtras registers each kernel once per process", (t) => {
  const first = installBackendExtras();
  t.deepEqual(
    first.filter((k) => !k.startsWith("Flatfit")),
    [
      "Conv2DBackpropFilter@wasm",
      "DepthwiseConv2dNativeBackpropFilter@wasm",
      "DepthwiseConv2dNativeBackpropInput@wasm",
      "UnsortedSegmentSum@wasm",
      "MaxPoolGrad@wasm",
      "MaxPool3D@wasm",
      "MaxPool3DGrad@wasm",
      "Conv3DBackpropFilterV2@wasm",
      "Conv3DBackpropInputV2@wasm",
      "Tile@wasm",
      "Conv2DBackpropInput@wasm",
    ],
    "cpu's was registered by the test before",
  );
  // flatfit's fused kernels declared so far (core's), as wasm kernels
  t.deepEqual(
    first.filter((k) => k.startsWith("Flatfit") && k.endsWith("@wasm")),
    ["FlatfitLinearCombination@wasm", "FlatfitSumOfSquares@wasm", "FlatfitDot@wasm", "FlatfitSecondMoment@wasm"],
  );
  t.deepEqual(installBackendExtras(), []);
  t.deepEqual(installBackendExtras({ backends: ["cpu"] }), []);
  t.deepEqual([...EXTRA_BACKENDS], ["cpu", "wasm", "webgl", "webgpu"]);
});

test("bad options name the field and the accepted values", (t) => {
  t.throws(() => installBackendExtras({ backends: ["webgl2" as never] }), { message: 'installBackendExtras: option "backends" has "webgl2"; accepted: "cpu", "wasm", "webgl", "webgpu"' });
  t.throws(() => installBackendExtras({ backends: "cpu" as never }), { message: /option "backends" must be an array of "cpu", "wasm", "webgl", "webgpu"/ });
});

test("NCHW goes to the stock kernel on cpu and gives its values", async (t) => {
  await onBackend("cpu", () => {
    installBackendExtras();
    const x = tf.randomNormal([2, 3, 6, 5], 0, 1, "float32", 1) as tf.Tensor4D; // N C H W
    const dy = tf.randomNormal([2, 4, 6, 5], 0, 1, "float32", 2) as tf.Tensor4D;
    const run = (a: tf.Tensor, b: tf.Tensor, dataFormat: string) =>
      tf.engine().runKernel("Conv2DBackpropFilter", { x: a, dy: b }, { strides: 1, pad: "same", dataFormat, filterShape: [3, 3, 3, 4] }) as tf.Tensor;
    const nchw = run(x, dy, "NCHW");
    // the same gradient in NHWC, through the extra
    const nhwc = tf.tidy(() => run(tf.transpose(x, [0, 2, 3, 1]), tf.transpose(dy, [0, 2, 3, 1]), "NHWC"));
    const exact = referenceFilterGrad(tf.transpose(x, [0, 2, 3, 1]).dataSync(), tf.transpose(dy, [0, 2, 3, 1]).dataSync(), { x: [2, 6, 5, 3], f: [3, 3, 3, 4], strides: [1, 1], pad: "same" });
    for (const [name, got] of [["NCHW (stock)", nchw], ["NHWC (extra)", nhwc]] as const) {
      const d = maxError(got.dataSync(), exact);
      t.true(d.err <= 1e-5 * d.scale, `${name} off by ${d.err}`);
    }
    tf.dispose([x, dy, nchw, nhwc]);
  });
});

test("the extra frees what it makes: numTensors stable over a second CNN gradient", async (t) => {
  await onBackend("cpu", () => {
    installBackendExtras();
    const c = CASES[1];
    const { x, w, dy } = inputsFor(c, 1);
    filterGrad(x, w, dy, c);
    const n = tf.memory().numTensors;
    filterGrad(x, w, dy, c);
    t.is(tf.memory().numTensors, n);
    tf.dispose([x, w, dy]);
  });
});

test("the test setup put tfjs on the backend FLATFIT_TEST_BACKEND names", (t) => {
  t.is(tf.getBackend(), testBackend());
});
