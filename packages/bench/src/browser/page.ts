/**
 * The bench page (bundled by esbuild, loaded in headless Chromium by cases/browser.ts): each
 * gradient method's step time inside `model.fit` on the page's backend (webgl or webgpu), as a
 * ratio to plain `model.fit`, variants interleaved; and the device→host reads per step, counted
 * at the backend's read/readSync (each is a GPU readback there).
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { installBackendExtras } from "@flatfit/backends";
import { createFlatfit, type PluginClass, type PluginSpec } from "@flatfit/core";
import GradL1Plugin from "@flatfit/plugin-grad-l1";
import HeroPlugin from "@flatfit/plugin-hero";
import NsoPlugin from "@flatfit/plugin-nso";
import PertoptPlugin from "@flatfit/plugin-pertopt";
import SehtPlugin from "@flatfit/plugin-seht";
import { BackendCounter } from "@flatfit/testing";

export interface BrowserEntry {
  label: string;
  plugins: Array<{ use: string } & Record<string, unknown>>;
  target?: number;
}

export interface BrowserRow {
  label: string;
  ms: number;
  ratio: number;
  readsPerStep: number;
  /** GPU programs (shader dispatches) per step: runWebGLProgram / runWebGPUProgram calls. */
  programsPerStep: number;
  target?: number;
}

// flatfit's fused kernels as one shader program each on webgl and webgpu, as an app would install them
installBackendExtras();

const CLASSES: Record<string, PluginClass> = { hero: HeroPlugin, nso: NsoPlugin, seht: SehtPlugin, "grad-l1": GradL1Plugin, pertopt: PertoptPlugin };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

let counter: BackendCounter | undefined;

async function setup(backend: string): Promise<string> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} could not be initialised in this browser`);
  await tf.ready();
  counter = new BackendCounter(tf.backend());
  return tf.getBackend();
}

/** MLP 784 → 128 → 64 → 10, as the cpu bench (seeded initializers). */
function mlp(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 128, inputShape: [784], activation: "relu", kernelInitializer: init(1) }));
  m.add(tf.layers.dense({ units: 64, activation: "relu", kernelInitializer: init(2) }));
  m.add(tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init(3) }));
  return m;
}

interface Variant {
  label: string;
  run(): Promise<number>;
  /** Steps, reads and GPU programs counted over every run of this variant. */
  steps: number;
  reads: number;
  programs: number;
}

async function run(entries: BrowserEntry[], opts: { repeats: number; examples: number; batchSize: number }): Promise<BrowserRow[]> {
  const x = tf.randomUniform([opts.examples, 784], 0, 1, "float32", 1);
  const y = tf.tidy(() => tf.oneHot(tf.argMax(tf.matMul(x, tf.randomNormal([784, 10], 0, 1, "float32", 5)), 1), 10));
  const stepsPerFit = Math.ceil(opts.examples / opts.batchSize);
  const compile = (m: tf.LayersModel, o: tf.Optimizer) => m.compile({ optimizer: o, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const variants: Variant[] = [];
  const disposers: Array<() => void> = [];
  const timed = (label: string, m: tf.LayersModel, callbacks: tf.Callback[], optimizer: tf.Optimizer) => {
    const v: Variant = { label, steps: 0, reads: 0, programs: 0, run: async () => 0 };
    counter!.watchSteps(optimizer);
    compile(m, optimizer);
    v.run = async () => {
      const [s0, r0, p0] = [counter!.steps, counter!.reads, counter!.programs];
      const t0 = performance.now();
      await m.fit(x, y, { epochs: 1, batchSize: opts.batchSize, shuffle: false, verbose: 0, callbacks });
      const ms = (performance.now() - t0) / stepsPerFit;
      v.steps += counter!.steps - s0;
      v.reads += counter!.reads - r0;
      v.programs += counter!.programs - p0;
      return ms;
    };
    variants.push(v);
  };
  const plain = mlp();
  timed("plain `model.fit`", plain, [], tf.train.sgd(0.01));
  disposers.push(() => plain.dispose());
  for (const e of entries) {
    const plugins = e.plugins.map(({ use, ...o }) => ({ use: CLASSES[use], ...o }) as PluginSpec);
    const ff = await createFlatfit({ seed: 1, logLevel: "warn", plugins });
    const m = mlp();
    timed(e.label, m, [ff.callbacks()], ff.wrap(tf.train.sgd(0.01)));
    disposers.push(() => (ff.dispose(), m.dispose()));
  }
  for (const v of variants) await v.run(); // warm-up: shaders compiled, textures allocated
  const samples = new Map(variants.map((v) => [v.label, [] as number[]]));
  for (let r = 0; r < opts.repeats; r++) for (const v of variants) samples.get(v.label)!.push(await v.run());
  const base = median(samples.get(variants[0].label)!);
  const rows = variants.map((v, i) => {
    const ms = median(samples.get(v.label)!);
    return { label: v.label, ms, ratio: ms / base, readsPerStep: v.reads / v.steps, programsPerStep: v.programs / v.steps, target: i === 0 ? undefined : entries[i - 1].target };
  });
  disposers.forEach((d) => d());
  tf.dispose([x, y]);
  return rows;
}

(globalThis as unknown as { flatfitBench: unknown }).flatfitBench = { setup, run };
