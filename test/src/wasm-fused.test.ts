/**
 * flatfit's fused kernels on tfjs-backend-wasm with `installBackendExtras()`: every kernel declared
 * in the process — core's, HERO's (its plugin imported before the extras are installed) and
 * PertOPT's (imported after) — runs as its own wasm kernel (tfjs's profiler names it), gives the
 * values its cpu loop gives on the cpu backend, bit for bit (the same loop over the same float32
 * values, read from the wasm heap), and leaves no tensor and no wasm allocation behind. Whatever
 * backend the suite runs on, these run on wasm and compare with cpu.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import "@flatfit/plugin-hero";
import { installBackendExtras, wasmFusedKernelNames } from "@flatfit/backends";
import { dot, fusedKernelInputs, fusedKernelSpecs, linearCombination, sumOfSquares } from "@flatfit/core";
import { gaussian, kernelsRun, onBackend, prng, testBackend } from "@flatfit/testing";

let installedNow: string[] = [];

test.before(async () => {
  installedNow = installBackendExtras();
  await import("@flatfit/plugin-pertopt"); // its kernels are declared after the extras are installed
  // importing the wasm backend made it tfjs's default; the suite runs on its own backend
  await tf.setBackend(testBackend());
});

type Values = () => number[];
interface Case {
  /** Each input: its shape and how its values are drawn. */
  inputs: Array<{ shape: number[]; values?: "positive" | "gaussian" | number[] }>;
  attrs: Record<string, number>;
}

const V = [7, 5, 3]; // a variable-like shape: 105 values, not a multiple of any vector width

/** An input for every kernel flatfit and its plugins declare; a kernel missing here fails the first test. */
const CASES: Record<string, Case> = {
  FlatfitLinearCombination: { inputs: [{ shape: V }, { shape: V }, { shape: V }, { shape: [3], values: [0.5, -1.25, 3] }], attrs: {} },
  FlatfitSumOfSquares: { inputs: [{ shape: V }], attrs: {} },
  FlatfitDot: { inputs: [{ shape: V }, { shape: V }], attrs: {} },
  FlatfitHeroSquaredWeightsTimesGradient: { inputs: [{ shape: V }, { shape: V }, { shape: [], values: [0.37] }], attrs: {} },
  FlatfitHeroWeightedGradientSquares: { inputs: [{ shape: V }, { shape: V }], attrs: {} },
  FlatfitPertoptSigma: {
    inputs: [{ shape: V, values: "positive" }, { shape: V, values: "positive" }, { shape: V }, { shape: V }, { shape: [], values: [0.8] }],
    attrs: { eta: 1e3, kappaScale: 0.5, logEpoch: Math.log(3), beta2: 1, epsilon: 1e-8 },
  },
  FlatfitPertoptMovedSquared: { inputs: [{ shape: V }, { shape: V }], attrs: {} },
  FlatfitSecondMoment: { inputs: [{ shape: V, values: "positive" }, { shape: V }], attrs: { beta: 0.9 } },
  FlatfitPertoptPerturbedWeights: {
    inputs: [{ shape: V }, { shape: V, values: "positive" }, { shape: V, values: "positive" }, { shape: V }, { shape: V }, { shape: [], values: [0.64] }],
    attrs: { eta: 1e3, kappaScale: 0.5, logEpoch: Math.log(3), beta2: 1, epsilon: 1e-8, seed: 12345 },
  },
};

function inputValues(c: Case, seed: number): number[][] {
  const g = gaussian(prng(seed));
  return c.inputs.map(({ shape, values }) => {
    if (Array.isArray(values)) return values;
    const n = shape.reduce((p, d) => p * d, 1);
    const draw: Values = () => Array.from({ length: n }, () => (values === "positive" ? Math.abs(g()) : g()));
    return draw();
  });
}

/** Runs the kernel by name, as a fused kernel's call does when one is registered for the backend. */
function runKernel(name: string, c: Case, values: number[][]): tf.Tensor[] {
  const inputs = c.inputs.map(({ shape }, i) => tf.tensor(values[i], shape));
  const out = tf.engine().runKernel(name, fusedKernelInputs(inputs), c.attrs) as tf.Tensor | tf.Tensor[];
  tf.dispose(inputs);
  return Array.isArray(out) ? out : [out];
}

const read = (ts: tf.Tensor[]) => ts.map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));

test("every fused kernel declared in the process is registered for wasm, those declared after the install too", (t) => {
  const declared = [...fusedKernelSpecs().keys()].sort();
  t.deepEqual(declared, Object.keys(CASES).sort(), "the kernels declared are the ones this test has inputs for");
  t.deepEqual([...wasmFusedKernelNames()].sort(), declared);
  for (const name of declared) t.truthy(tf.getKernel(name, "wasm"), `${name} registered for wasm`);
  t.true(installedNow.includes("FlatfitHeroSquaredWeightsTimesGradient@wasm"), "declared before the install: in its return value");
  t.false(installedNow.includes("FlatfitPertoptSigma@wasm"), "declared after: registered when declared");
  t.deepEqual(installBackendExtras(), [], "a second install registers nothing");
});

for (const name of Object.keys(CASES)) {
  test(`${name} on wasm: the fused kernel runs, gives the cpu loop's values bit for bit, leaves nothing`, async (t) => {
    const c = CASES[name];
    const values = inputValues(c, name.length);
    const onCpu = await onBackend("cpu", () => {
      const out = runKernel(name, c, values);
      const r = read(out);
      tf.dispose(out);
      return r;
    });
    await onBackend("wasm", async () => {
      const backend = tf.backend();
      const [tensors, dataIds] = [tf.memory().numTensors, backend.numDataIds()];
      const out = runKernel(name, c, values);
      t.deepEqual(read(out), onCpu);
      tf.dispose(out);
      t.is(tf.memory().numTensors, tensors, "no tensor left");
      t.is(backend.numDataIds(), dataIds, "no wasm allocation left");
      const kernels = await kernelsRun(() => runKernel(name, c, values));
      t.deepEqual(
        kernels.filter((k) => k.startsWith("Flatfit")),
        [name],
      );
    });
  });
}

test("core's fused calls run their wasm kernel on wasm, not their tf-ops path", async (t) => {
  await onBackend("wasm", async () => {
    const [a, b] = [tf.tensor1d([1, 2, 3]), tf.tensor1d([4, -5, 6])];
    const kernels = await kernelsRun(() => [
      linearCombination([
        [a, 2],
        [b, tf.scalar(-1)],
      ]),
      sumOfSquares(a),
      dot(a, b),
    ]);
    t.deepEqual(
      kernels.filter((k) => k.startsWith("Flatfit")),
      ["FlatfitLinearCombination", "FlatfitSumOfSquares", "FlatfitDot"],
    );
    for (const op of ["Multiply", "Square", "Sum", "AddN"]) t.false(kernels.includes(op), `the tf-ops path's ${op} did not run`);
    tf.dispose([a, b]);
  });
});
