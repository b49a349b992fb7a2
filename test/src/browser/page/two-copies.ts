/**
 * The page of two-copies.test.ts: an app bundle with two copies of @tensorflow/tfjs-core — the
 * CommonJS build (imported first, and by @tensorflow/tfjs-layers) and the ES-module build (what
 * `@tensorflow/tfjs`, the webgl backend and flatfit import). It exposes `window.twoCopies`.
 * Values are read with `await data()`.
 */
import { tfCjs } from "./cjs-copy-first";
import * as tf from "@tensorflow/tfjs";
import * as tfEsm from "@tensorflow/tfjs-core";
import { createFlatfit, type PluginSpec } from "@flatfit/core";
import HeroPlugin from "@flatfit/plugin-hero";
import NsoPlugin from "@flatfit/plugin-nso";
import { blobs, bnDropoutModel, withSeededMathRandom } from "@flatfit/testing";

const CLASSES = { hero: HeroPlugin, nso: NsoPlugin } as const;
export type Spec = { use: keyof typeof CLASSES } & Record<string, unknown>;

type LayerVariable = { name: string; read(): tf.Variable };
const protoName = (o: object) => (o === tfCjs.Variable.prototype ? "cjs" : o === tfEsm.Variable.prototype ? "esm" : "other");

/** What the page's bundle holds: two sets of classes, one engine, and whose classes the model's variables are. */
function copies() {
  const model = bnDropoutModel(1);
  const movingMean = (model.layers[1].weights as unknown as LayerVariable[]).find((w) => /moving_mean/.test(w.name))!.read();
  const made = tf.variable(tf.zeros([2]));
  const out = {
    variableClassesDiffer: tfCjs.Variable !== tfEsm.Variable,
    tensorClassesDiffer: tfCjs.Tensor !== tfEsm.Tensor,
    tidyDiffers: tfCjs.tidy !== tfEsm.tidy,
    /** flatfit's tfjs (the umbrella package) re-exports the ES-module build. */
    umbrellaIsEsm: tf.Variable === tfEsm.Variable && tf.tidy === tfEsm.tidy,
    sharedEngine: tfCjs.engine() === tfEsm.engine(),
    /** Which copy's Variable.prototype a BatchNorm moving mean (made by tfjs-layers) has. */
    movingMeanClass: protoName(Object.getPrototypeOf(movingMean)),
    /** Which copy's Variable.prototype `tf.variable` of the ES-module copy gives (the engine's maker's). */
    esmVariableClass: protoName(Object.getPrototypeOf(made)),
  };
  made.dispose();
  model.dispose();
  return out;
}

/**
 * The control: calls of each copy's `Variable.prototype.assign` during one plain fit step of the
 * BatchNorm model (its moving statistics are assigned). A guard that patches the prototype of
 * flatfit's copy (the ES-module one) sees none of them.
 */
async function assignsInFit(): Promise<{ cjs: number; esm: number }> {
  const counts = { cjs: 0, esm: 0 };
  const wrap = (proto: { assign: (...a: unknown[]) => unknown }, key: keyof typeof counts) => {
    const original = proto.assign;
    proto.assign = function (this: unknown, ...a: unknown[]) {
      counts[key]++;
      return original.apply(this, a);
    };
    return () => void (proto.assign = original);
  };
  const { x, y } = blobs(16);
  const model = bnDropoutModel(1);
  model.compile({ optimizer: tf.train.sgd(0), loss: "categoricalCrossentropy" });
  const restore = [wrap(tfCjs.Variable.prototype as never, "cjs"), wrap(tfEsm.Variable.prototype as never, "esm")];
  try {
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
  } finally {
    restore.forEach((r) => r());
    model.dispose();
    tf.dispose([x, y]);
  }
  return counts;
}

async function values(ts: tf.Tensor[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => Array.from(await t.data())));
}

export interface TwoCopiesResult {
  backend: string;
  /** Every weight and BatchNorm statistic bit-equal to plain fit's. */
  weightsEqual: boolean;
  firstDifference?: string;
  /** Largest |flatfit − plain| per weight (moving_mean, moving_variance, kernels…). */
  maxDifference: Record<string, number>;
  /** Plain fit moved the BatchNorm statistics (so comparing them means something). */
  bnMoved: boolean;
  /** Steps flatfit ran (beforeStep), and gradient evaluations per step seen by a probe plugin. */
  steps: number;
  evaluations: number;
}

/** Plain fit and fit through flatfit (learning rate 0, same Dropout masks) of the BatchNorm model. */
async function train(backend: string, spec: Spec): Promise<TwoCopiesResult> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} could not be initialised`);
  await tf.ready();
  const { x, y } = blobs(48);
  const compile = (m: tf.LayersModel, optimizer: tf.Optimizer) => m.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const fit = (m: tf.LayersModel, callbacks: tf.Callback[] = []) =>
    withSeededMathRandom(5, () => m.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0, callbacks }));
  const plain = bnDropoutModel(1);
  const initial = await values(plain.getWeights());
  compile(plain, tf.train.sgd(0));
  await fit(plain);

  let evaluations = 0;
  class Count {
    static id = "count-evaluations";
    apply(hooks: import("@flatfit/core").FlatfitHooks) {
      hooks.gradient.tap("count-evaluations", (oracle) => () => {
        evaluations++;
        return oracle();
      });
    }
  }
  const { use, ...options } = spec;
  let steps = 0;
  const ff = await createFlatfit({ seed: 1, logLevel: "warn", plugins: [{ use: Count }, { use: CLASSES[use], ...options }] as PluginSpec[] });
  ff.hooks.beforeStep.tap("count-steps", () => void steps++);
  const model = bnDropoutModel(1);
  compile(model, ff.wrap(tf.train.sgd(0)));
  try {
    await fit(model, [ff.callbacks()]);
    const [a, b] = [await values(model.getWeights()), await values(plain.getWeights())];
    const names = model.weights.map((w) => w.name);
    let firstDifference: string | undefined;
    const maxDifference: Record<string, number> = {};
    a.forEach((w, i) => {
      maxDifference[names[i]] = Math.max(...w.map((v, k) => Math.abs(v - b[i][k])));
      const j = w.findIndex((v, k) => !Object.is(v, b[i][k]));
      if (j >= 0 && firstDifference === undefined) firstDifference = `${names[i]}[${j}]: ${w[j]} vs plain ${b[i][j]}`;
    });
    const bnMoved = names.some((n, i) => /moving_/.test(n) && b[i].some((v, k) => v !== initial[i][k]));
    return { backend: tf.getBackend(), weightsEqual: firstDifference === undefined, firstDifference, maxDifference, bnMoved, steps, evaluations: evaluations / Math.max(steps, 1) };
  } finally {
    ff.dispose();
    plain.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
}

const api = { copies, assignsInFit, train };
export type TwoCopiesApi = typeof api;
(globalThis as unknown as { twoCopies: TwoCopiesApi }).twoCopies = api;
