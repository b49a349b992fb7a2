/**
 * The page the Chromium tests load (bundled by esbuild, as an app would bundle flatfit): the
 * packages' browser builds, tfjs with its webgl backend and @tensorflow/tfjs-backend-webgpu.
 * It exposes `window.flatfitPage`; each function runs one check on the active backend and
 * returns plain numbers, which the Node side asserts on. Plugins are passed as classes, as a
 * browser app does. Values are read with `await data()` (dataSync can lose a WebGPU device).
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { installBackendExtras, shaderFusedKernelNames } from "@flatfit/backends";
import { createFlatfit, dot, dotNamed, fusedKernelInputs, globalNorm, linearCombination, sumOfSquares, sumSquaresNamed, type PluginClass, type PluginSpec } from "@flatfit/core";
import { hessianTrace } from "@flatfit/metrics";
import GradL1Plugin from "@flatfit/plugin-grad-l1";
import HeroPlugin from "@flatfit/plugin-hero";
import NsoPlugin from "@flatfit/plugin-nso";
import PertoptPlugin from "@flatfit/plugin-pertopt";
import QuantizeOnEval from "@flatfit/plugin-quantize-on-eval";
import SehtPlugin from "@flatfit/plugin-seht";
import { AsamPlugin, RsamPlugin, SamPlugin, UsamPlugin, WpSgdPlugin } from "@flatfit/plugin-sam";
import { BackendCounter, blobs, checkFitContract, gaussian, mlp, prng, QuadraticProblem } from "@flatfit/testing";

// flatfit's fused kernels as one shader program each on webgl and webgpu (those with an elementwise form)
installBackendExtras();

const CLASSES: Record<string, PluginClass> = {
  hero: HeroPlugin,
  nso: NsoPlugin,
  seht: SehtPlugin,
  "grad-l1": GradL1Plugin,
  pertopt: PertoptPlugin,
  "quantize-on-eval": QuantizeOnEval,
  sam: SamPlugin,
  usam: UsamPlugin,
  asam: AsamPlugin,
  rsam: RsamPlugin,
  "wp-sgd": WpSgdPlugin,
};

/** A config as the Node side writes it ({use: "hero", …}), with each `use` turned into its class. */
export type Spec = { use: string } & Record<string, unknown>;
const withClasses = (specs: Spec[]): PluginSpec[] =>
  specs.map(({ use, ...options }) => {
    const cls = CLASSES[use];
    if (!cls) throw new Error(`page: no plugin class for "${use}"`);
    return { use: cls, ...options } as PluginSpec;
  });

const quiet = { logSink: () => {} };

async function values(ts: tf.Tensor[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => Array.from(await t.data())));
}

/** Runs fn on the cpu backend, then switches back. */
async function onCpu<T>(fn: () => Promise<T>): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend("cpu");
  try {
    return await fn();
  } finally {
    await tf.setBackend(before);
  }
}

let counter: BackendCounter | undefined;

/** Switches to `backend` and describes it (WebGPU: the adapter's vendor and architecture). */
async function setup(backend: string): Promise<{ backend: string; adapter?: string; log: string[]; probe: { reads: number; programs: number } }> {
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`backend ${backend} could not be initialised`);
  await tf.ready();
  counter = new BackendCounter(tf.backend());
  // the counter's own check: one op (a GPU program) and one read, watched
  const probe = await counter.watch(async () => {
    const [r0, p0] = [counter!.reads, counter!.programs];
    // 4096 values: small tensors are computed on the CPU by both backends (CPU forwarding)
    const t = tf.tidy(() => tf.add(tf.ones([4096]), tf.fill([4096], 2)));
    await t.data();
    t.dispose();
    return { reads: counter!.reads - r0, programs: counter!.programs - p0 };
  });
  const log: string[] = [];
  const ff = await createFlatfit({}, { logSink: (_l, m) => log.push(m) });
  ff.dispose();
  let adapter: string | undefined;
  if (backend === "webgpu") {
    const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
    adapter = info ? `${info.vendor ?? "?"}/${info.architecture ?? "?"}` : undefined;
  }
  return { backend: tf.getBackend(), adapter, log, probe };
}

/** What createFlatfit says for a plugin named by string in a browser. */
async function stringUseError(): Promise<string> {
  return createFlatfit({ plugins: [{ use: "hero" }] }, quiet).then(
    () => "no error",
    (e: Error) => e.message,
  );
}

export type ContractResult = Awaited<ReturnType<typeof checkFitContract.run>>;

/**
 * @flatfit/testing's fit contract on the active backend — every entry point (fit with
 * validationSplit, fitDataset, trainOnBatch, optimizer.minimize through ff.wrap, ff.step; two
 * outputs; a layer frozen after compile), the same code the Node tests assert — at learning rate 0
 * (so every weight and BatchNorm statistic is compared bit for bit), with reads counted at the
 * backend. Its checks come back as data; the Node side asserts them.
 */
async function contract(specs: Spec[]): Promise<ContractResult> {
  return checkFitContract.run(withClasses(specs), { learningRate: 0, reads: "backend" });
}

function vectors(k: number, n: number, seed: number): number[][] {
  const g = gaussian(prng(seed));
  return Array.from({ length: k }, () => Array.from({ length: n }, () => g()));
}

/** The fused kernels that run as shader programs on `backend` (installBackendExtras registered them). */
function shaderKernels(backend: string): string[] {
  return [...shaderFusedKernelNames(backend as "webgl" | "webgpu")];
}

export interface FusedKernelResult {
  name: string;
  here: number[];
  cpu: number[];
  leaked: number;
  /** Programs of this kernel's shader that the backend ran (runWebGLProgram / runWebGPUProgram). */
  shaderRuns: number;
  /** Every program the backend ran for the call. */
  programs: number;
}

/**
 * Every fused kernel with an elementwise form — core's, HERO's, PertOPT's — on this backend (its
 * shader kernel) and on the cpu backend (its loop), same inputs, shapes of rank 0 to 3 with odd
 * sizes (packed texels' padding on webgl) and a large one (a sum's two passes); the programs the
 * backend ran are counted, by the fused kernel they belong to.
 */
async function fusedKernels(): Promise<FusedKernelResult[]> {
  const cases: Array<{ name: string; kernel: string; run: () => tf.Tensor }> = [];
  for (let k = 1; k <= 5; k++) {
    const xs = vectors(k, 257, k);
    const cs = xs.map((_, i) => (i % 2 ? -0.75 * (i + 1) : 1.5 / (i + 1)));
    cases.push({
      name: `linearCombination of ${k}`,
      kernel: "FlatfitLinearCombination",
      run: () => tf.tidy(() => linearCombination(xs.map((x, i) => [tf.tensor2d(x, [257, 1]), i % 2 ? tf.scalar(cs[i]) : cs[i]] as const))),
    });
  }
  const [a, b] = vectors(2, 10_000, 9);
  cases.push({ name: "sumOfSquares", kernel: "FlatfitSumOfSquares", run: () => tf.tidy(() => sumOfSquares(tf.tensor(a, [100, 100]))) });
  cases.push({ name: "dot", kernel: "FlatfitDot", run: () => tf.tidy(() => dot(tf.tensor(a, [100, 100]), tf.tensor(b, [100, 100]))) });
  // the plugins' kernels, run by name as their plugins run them; shapes: an MLP's kernel, odd, rank 0, 1 and 3
  const shapes = [[784, 128], [7, 5], [], [129], [3, 5, 7]];
  const g = gaussian(prng(42));
  // values drawn on the host (dataSync can lose a WebGPU device)
  const draw = (shape: number[], f: (v: number) => number = (v) => v): number[] => Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => f(g()));
  const kernel = (kernelName: string, inputs: tf.Tensor[], attrs: Record<string, number>): tf.Tensor => {
    const r = tf.engine().runKernel(kernelName, fusedKernelInputs(inputs), attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
    return Array.isArray(r) ? r[0] : r; // the cpu loop gives a list of outputs
  };
  for (const shape of shapes) {
    const label = `[${shape.join(",")}]`;
    const [h, w, grad] = [draw(shape, (v) => 0.01 * v * v), draw(shape), draw(shape)];
    const t = (v: number[]) => tf.tensor(v, shape);
    cases.push(
      { name: `hero squaredWeightsTimesGradient ${label}`, kernel: "FlatfitHeroSquaredWeightsTimesGradient", run: () => tf.tidy(() => kernel("FlatfitHeroSquaredWeightsTimesGradient", [t(w), t(grad), tf.scalar(0.37)], {})) },
      { name: `hero weightedGradientSquares ${label}`, kernel: "FlatfitHeroWeightedGradientSquares", run: () => tf.tidy(() => kernel("FlatfitHeroWeightedGradientSquares", [t(w), t(grad)], {})) },
      { name: `pertopt movedSquared ${label}`, kernel: "FlatfitPertoptMovedSquared", run: () => tf.tidy(() => kernel("FlatfitPertoptMovedSquared", [t(w), t(grad)], {})) },
      { name: `secondMoment ${label}`, kernel: "FlatfitSecondMoment", run: () => tf.tidy(() => kernel("FlatfitSecondMoment", [t(h), t(grad)], { beta: 0.999 })) },
    );
    for (const moved of [0.3, 0]) {
      cases.push({
        name: `pertopt perturbedWeights ${label}, moved ${moved}`,
        kernel: "FlatfitPertoptPerturbedWeights",
        run: () =>
          tf.tidy(() =>
            kernel("FlatfitPertoptPerturbedWeights", [t(w), t(h), tf.mul(t(h), 0.9), t(w), t(grad), tf.scalar(moved * moved)], { eta: 1e3, kappaScale: 0.5 / Math.log(2), logEpoch: Math.log(2), beta2: 0.8, epsilon: 1e-5, seed: 987654321 }),
          ),
      });
      cases.push({
        name: `pertopt sigma ${label}, moved ${moved}`,
        kernel: "FlatfitPertoptSigma",
        run: () =>
          tf.tidy(() =>
            kernel("FlatfitPertoptSigma", [t(h), tf.mul(t(h), 0.9), t(w), t(grad), tf.scalar(moved)], { eta: 1e3, kappaScale: 0.5 / Math.log(2), logEpoch: Math.log(2), beta2: 0.8, epsilon: 1e-5 }),
          ),
      });
    }
  }
  // every program the backend runs, by the fused kernel it belongs to (runWebGLProgram / runWebGPUProgram)
  const be = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const method = typeof be.runWebGLProgram === "function" ? "runWebGLProgram" : "runWebGPUProgram";
  const previous = be[method];
  const own = Object.prototype.hasOwnProperty.call(be, method);
  let runs: string[] = [];
  be[method] = function (this: unknown, ...args: unknown[]) {
    runs.push((args[0] as { flatfitKernel?: string }).flatfitKernel ?? "");
    return previous.apply(this, args);
  };
  const out: FusedKernelResult[] = [];
  try {
    for (const c of cases) {
      const before = tf.memory().numTensors;
      runs = [];
      const t = c.run();
      const seen = runs;
      const here = Array.from(await t.data());
      t.dispose();
      const leaked = tf.memory().numTensors - before;
      const cpu = await onCpu(async () => {
        const u = c.run();
        const v = Array.from(await u.data());
        u.dispose();
        return v;
      });
      out.push({ name: c.name, here, cpu, leaked, shaderRuns: seen.filter((k) => k === c.kernel).length, programs: seen.length });
    }
  } finally {
    if (own) be[method] = previous;
    else delete be[method];
  }
  return out;
}

/**
 * core's sums over every variable of a model (global norms, dot products: what sets HERO's and the
 * finite differences' step sizes) for 4, 7, 8 and 9 tensors — a model with 8 trainable variables is
 * a Dense-BatchNorm trunk with two heads — here and on the cpu backend.
 */
async function manyTensorSums(): Promise<Array<{ name: string; here: number; cpu: number }>> {
  const shapes = [[4, 16], [16], [16], [16], [16, 3], [3], [16, 1], [1], [5, 5]];
  const run = async () => {
    const out: Record<string, number> = {};
    for (const count of [4, 7, 8, 9]) {
      const a: Record<string, tf.Tensor> = {};
      const b: Record<string, tf.Tensor> = {};
      shapes.slice(0, count).forEach((s, i) => {
        const size = s.reduce((p, q) => p * q, 1);
        const [va, vb] = vectors(2, size, 20 + i);
        a[`v${i}`] = tf.tensor(va, s);
        b[`v${i}`] = tf.tensor(vb, s);
      });
      for (const [name, f] of [
        ["globalNorm", () => globalNorm(a)],
        ["sumSquaresNamed", () => sumSquaresNamed(a)],
        ["dotNamed", () => dotNamed(a, b)],
      ] as const) {
        const t = f();
        out[`${name} of ${count} tensors`] = (await t.data())[0];
        t.dispose();
      }
      tf.dispose([...Object.values(a), ...Object.values(b)]);
    }
    return out;
  };
  const here = await run();
  const cpu = await onCpu(run);
  return Object.keys(here).map((name) => ({ name, here: here[name], cpu: cpu[name] }));
}

/** Six steps of one method on an MLP, here and on the cpu backend (fused kernels), same seeds: final weights. */
async function trainBoth(specs: Spec[]): Promise<{ here: number[]; cpu: number[]; untrained: number[] }> {
  const train = async () => {
    const { x, y } = blobs(48, 4, 3, 2);
    const ff = await createFlatfit({ seed: 5, plugins: withClasses(specs) }, quiet);
    const model = mlp(3);
    model.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy" });
    await model.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0, callbacks: [ff.callbacks()] });
    const w = (await values(model.getWeights())).flat();
    ff.dispose();
    model.dispose();
    tf.dispose([x, y]);
    return w;
  };
  const fresh = mlp(3);
  const untrained = (await values(fresh.getWeights())).flat();
  fresh.dispose();
  return { here: await train(), cpu: await onCpu(train), untrained };
}

type Rows = Array<{ variant: string; loss: number; metrics: Record<string, number> }>;

/** quantize-on-eval's rows (ff.evaluate) for a trained MLP, here and on the cpu backend. */
async function quantizeRows(): Promise<{ here: Rows; cpu: Rows }> {
  const { x, y } = blobs(96, 4, 3, 4);
  const model = mlp(2);
  model.compile({ optimizer: tf.train.sgd(0.2), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  await model.fit(x, y, { epochs: 3, batchSize: 32, shuffle: false, verbose: 0 });
  const weights = await values(model.getWeights());
  const rows = async (): Promise<Rows> => {
    const m = mlp(2);
    m.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)));
    m.compile({ optimizer: tf.train.sgd(0.2), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const xs = tf.tensor(await x.data(), x.shape);
    const ys = tf.tensor(await y.data(), y.shape);
    const ff = await createFlatfit({ plugins: [{ use: QuantizeOnEval, bits: [8, 6, 4] }] }, quiet);
    const r = (await ff.evaluate(m, xs, ys)) as Rows;
    ff.dispose();
    m.dispose();
    tf.dispose([xs, ys]);
    return r.map(({ variant, loss, metrics }) => ({ variant, loss, metrics }));
  };
  const here = await rows();
  const cpu = await onCpu(rows);
  model.dispose();
  tf.dispose([x, y]);
  return { here, cpu };
}

/** @flatfit/metrics' Hutchinson trace of a quadratic (H = A, known), here and on the cpu backend. */
async function quadraticTrace(): Promise<{ here: { value: number; stdError: number }; cpu: { value: number; stdError: number }; exact: number }> {
  const spectrum = [4, 2.5, 1.5, 1, 0.5, 0.25];
  const run = async () => {
    const q = new QuadraticProblem(spectrum);
    const r = await hessianTrace(q.loss, q.variables, { samples: 64, seed: 3 });
    q.variables.forEach((v) => v.dispose());
    return { value: r.value, stdError: r.stdError };
  };
  return { here: await run(), cpu: await onCpu(run), exact: spectrum.reduce((s, v) => s + v, 0) };
}

const api = { setup, stringUseError, contract, fusedKernels, shaderKernels, manyTensorSums, trainBoth, quantizeRows, quadraticTrace };
export type PageApi = typeof api;
(globalThis as unknown as { flatfitPage: PageApi }).flatfitPage = api;
