/**
 * The fit contract (@flatfit/testing) on tfjs-backend-wasm with `installBackendExtras()` (flatfit's
 * gradient kernels and fused kernels for wasm), for every built-in gradient method and for none, on
 * the CLI's built-in models: its MLP (with BatchNorm and Dropout) and its CNN (conv8-BN-conv16, the
 * default), at learning rate 0. For each entry point (fit with validationSplit, fitDataset, trainOnBatch,
 * custom loops, two outputs, a frozen layer): reported loss and metrics and BatchNorm statistics
 * as plain tfjs's, every weight bit-identical afterwards, no device→host read inside a step,
 * numTensors stable over a second run. Whatever backend the suite runs on, these run on wasm.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installBackendExtras } from "@flatfit/backends";
import { buildCnn, buildMlp, cnnSchema, mlpSchema } from "@flatfit/cli";
import { METHODS } from "./methods";
import { assertContract, blobs, gaussian, onBackend, prng, runFitContract, testBackend, type ContractOptions } from "@flatfit/testing";

test.before(async () => {
  installBackendExtras();
  await tf.setBackend(testBackend());
});

type ContractModel = NonNullable<ContractOptions["model"]>;

/** 48 8×8 grey images of 3 classes (a bright row, column or diagonal) with Gaussian noise; one-hot labels. */
function images(n = 48, size = 8): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const g = gaussian(prng(11));
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const pixels = labels.flatMap((c) =>
    Array.from({ length: size * size }, (_, k) => {
      const [r, q] = [Math.floor(k / size), k % size];
      const on = c === 0 ? r === 3 : c === 1 ? q === 4 : r === q;
      return (on ? 1 : 0) + 0.3 * g();
    }),
  );
  return { x: tf.tensor4d(pixels, [n, size, size, 1]), y: tf.oneHot(tf.tensor1d(labels, "int32"), 3) as tf.Tensor2D };
}

const MODELS: Array<{ name: string; model: ContractModel }> = [
  {
    name: "CLI mlp [16], BatchNorm, Dropout 0.2",
    model: {
      build: (seed) => buildMlp(mlpSchema.parse({ name: "mlp", hidden: [16], batchNorm: true, dropout: 0.2 }), [4], 3, seed),
      data: () => {
        const { x, y } = blobs(48);
        return { x, y };
      },
    },
  },
  { name: "CLI cnn conv8-BN-conv16 (8×8×1)", model: { build: (seed) => buildCnn(cnnSchema.parse({ name: "cnn" }), [8, 8, 1], 3, seed), data: () => images() } },
];


for (const { name: modelName, model } of MODELS) {
  for (const { name, plugins } of METHODS) {
    test(`wasm + extras, ${modelName}, ${name}: the fit contract at learning rate 0`, async (t) => {
      const result = await onBackend("wasm", async () => {
        const r = await runFitContract(plugins, { learningRate: 0, model });
        t.is(tf.getBackend(), "wasm", "it ran on wasm");
        return r;
      });
      assertContract(t, result);
      t.log(`${Object.entries(result.ms).map(([k, ms]) => `${k} ${Math.round(ms!)} ms`).join(", ")}`);
    });
  }
}

test("on wasm the methods' fused kernels run as wasm kernels inside fit (profiled)", async (t) => {
  await onBackend("wasm", async () => {
    const { createFlatfit } = await import("@flatfit/core");
    const { x, y } = images(16);
    const seen = new Set<string>();
    for (const { plugins } of METHODS.filter((m) => m.name === "hero" || m.name === "pertopt")) {
      const ff = await createFlatfit({ seed: 1, plugins }, { logSink: () => {} });
      const m = buildCnn(cnnSchema.parse({ name: "cnn" }), [8, 8, 1], 3, 1);
      m.compile({ optimizer: ff.wrap(tf.train.sgd(0.01)), loss: "categoricalCrossentropy" });
      const info = await tf.profile(async () => {
        await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [ff.callbacks()] });
      });
      info.kernelNames.filter((k) => k.startsWith("Flatfit")).forEach((k) => seen.add(k));
      t.is(ff.backend, "wasm");
      ff.dispose();
      m.dispose();
    }
    tf.dispose([x, y]);
    for (const k of ["FlatfitHeroSquaredWeightsTimesGradient", "FlatfitPertoptMovedSquared", "FlatfitPertoptPerturbedWeights", "FlatfitSecondMoment"]) t.true(seen.has(k), `${k} ran (seen: ${[...seen].join(", ")})`);
  });
});
