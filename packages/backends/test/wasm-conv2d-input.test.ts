/**
 * Conv2DBackpropInput on @tensorflow/tfjs-backend-wasm with flatfit's kernel: stride-1 cases run as
 * wasm's Conv2D on the flipped filter, the others (strides, NCHW) go to the stock kernel. Both
 * against tfjs's cpu kernel, over same / valid / explicit padding, rectangular and 1×1 filters, one
 * input channel; the stride-1 case runs a Conv2D and leaves no tensor or heap allocation.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installBackendExtras } from "@flatfit/backends";
import { gaussian, kernelsRun, onBackend, prng, testBackend } from "@flatfit/testing";

test.before(async () => {
  installBackendExtras({ backends: ["wasm"] });
  await tf.setBackend(testBackend());
});

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
const CASES: Array<{ x: [number, number, number, number]; f: [number, number, number, number]; strides: number | [number, number]; pad: Pad }> = [
  { x: [3, 8, 8, 8], f: [3, 3, 8, 16], strides: 1, pad: "same" },
  { x: [2, 9, 7, 1], f: [3, 3, 1, 8], strides: 1, pad: "same" },
  { x: [2, 7, 6, 3], f: [3, 2, 3, 5], strides: 1, pad: "valid" },
  { x: [2, 6, 6, 4], f: [1, 1, 4, 6], strides: 1, pad: "same" },
  { x: [2, 8, 7, 2], f: [4, 4, 2, 3], strides: 1, pad: "same" }, // even filter: uneven padding
  { x: [2, 7, 7, 2], f: [3, 3, 2, 3], strides: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
  { x: [2, 6, 6, 2], f: [3, 3, 2, 3], strides: 1, pad: [[0, 0], [3, 0], [1, 1], [0, 0]] }, // padding beyond FH − 1: stock
  { x: [2, 9, 9, 4], f: [3, 3, 4, 6], strides: 2, pad: "same" }, // stock
  { x: [2, 8, 9, 3], f: [3, 2, 3, 4], strides: [2, 1], pad: "valid" }, // stock
];

function dataFor(k: number, shape: number[]): number[] {
  const g = gaussian(prng(500 + k));
  return Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => g());
}

test("Conv2DBackpropInput on wasm equals the cpu kernel (stride 1 through Conv2D, the rest through the stock kernel)", async (t) => {
  for (const [k, c] of CASES.entries()) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.strides, 1, c.pad);
    const dyShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
    const [dyv, wv] = [dataFor(2 * k, dyShape), dataFor(2 * k + 1, c.f)];
    const run = () => {
      const [dy, w] = [tf.tensor(dyv, dyShape), tf.tensor(wv, c.f)];
      const out = tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, { strides: c.strides, pad: c.pad, dataFormat: "NHWC", inputShape: c.x }) as tf.Tensor;
      const values = Array.from(out.dataSync());
      tf.dispose([dy, w, out]);
      return values;
    };
    const onCpu = await onBackend("cpu", run);
    const onWasm = await onBackend("wasm", run);
    const scale = Math.max(...onCpu.map(Math.abs));
    const err = Math.max(...onWasm.map((v, i) => Math.abs(v - onCpu[i])));
    t.is(onWasm.length, onCpu.length);
    t.true(err <= 2e-6 * scale, `case ${k}: wasm and cpu differ by ${err} (scale ${scale})`);
  }
});

test("a stride-1 input gradient on wasm runs wasm's Conv2D and leaves nothing behind; a strided one does not", async (t) => {
  await onBackend("wasm", async () => {
    const dy = tf.ones([2, 5, 5, 4]);
    const w = tf.ones([3, 3, 2, 4]);
    const grad = (strides: number, inputShape: number[]) => () => tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, { strides, pad: "same", dataFormat: "NHWC", inputShape }) as tf.Tensor;
    const backend = tf.backend();
    const [tensors, ids] = [tf.memory().numTensors, backend.numDataIds()];
    grad(1, [2, 5, 5, 2])().dispose();
    t.is(tf.memory().numTensors, tensors);
    t.is(backend.numDataIds(), ids, "the flipped filter was freed");
    // count the calls of wasm's Conv2D kernel function (the stride-1 path calls it directly)
    const conv = tf.getKernel("Conv2D", "wasm")!;
    const original = conv.kernelFunc;
    let calls = 0;
    (conv as { kernelFunc: tf.KernelFunc }).kernelFunc = (args) => {
      calls++;
      return original(args);
    };
    try {
      t.deepEqual(await kernelsRun(grad(1, [2, 5, 5, 2])), ["Conv2DBackpropInput"], "one kernel as far as tfjs sees");
      t.is(calls, 1, "stride 1: wasm's Conv2D ran");
      t.deepEqual(await kernelsRun(grad(2, [2, 10, 10, 2])), ["Conv2DBackpropInput"]);
      t.is(calls, 1, "stride 2: the stock kernel, no Conv2D");
    } finally {
      (conv as { kernelFunc: tf.KernelFunc }).kernelFunc = original;
    }
    tf.dispose([dy, w]);
  });
});
