/** captureStep: what a plugin does inside one training step, seen from outside. */
import type * as tf from "@tensorflow/tfjs";
import { createFlatfit, type FlatfitConfig, type PluginSpec } from "@flatfit/core";
import { RecordingOptimizer } from "./recording";

export interface CaptureOptions {
  /** The flatfit seed (1). */
  seed?: number;
  /** Steps run before the captured one, on the same instance and optimizer (0): for plugins with state across steps. */
  warmup?: number;
  /** The inner optimizer's learning rate, every step (0: the warmup steps leave the weights where they are). */
  learningRate?: number;
  /** core's finite-difference settings (`hvp: { method, relativeStep }` in the config). */
  hvp?: FlatfitConfig["hvp"];
}

export interface CapturedStep {
  /** The gradient handed to the inner optimizer in the captured step, concatenated in the variables' order. */
  grad: number[];
  /** The weights, concatenated the same way, at every evaluation of `loss` in the captured step. */
  points: number[][];
  /** The weights before the captured step. */
  start: number[];
  /** The weights before the warmup steps (`start` when there are none). */
  initial: number[];
}

/**
 * `warmup` flatfit steps with `plugins` over `variables`, then the captured one, all into one
 * RecordingOptimizer (SGD at `learningRate`): the captured step's gradient and evaluation points.
 */
export async function captureStep(plugins: PluginSpec[], loss: () => tf.Scalar, variables: tf.Variable[], opts: CaptureOptions = {}): Promise<CapturedStep> {
  const ff = await createFlatfit({ seed: opts.seed ?? 1, logLevel: "warn", hvp: opts.hvp, plugins });
  const rec = new RecordingOptimizer(opts.learningRate ?? 0);
  const weights = () => variables.flatMap((v) => Array.from(v.dataSync()));
  let points: number[][] = [];
  const recordingLoss = () => {
    points.push(weights());
    return loss();
  };
  try {
    const initial = weights();
    for (let i = 0; i < (opts.warmup ?? 0); i++) ff.step(recordingLoss, variables, rec).dispose();
    points = [];
    const start = weights();
    ff.step(recordingLoss, variables, rec).dispose();
    return { grad: rec.last(variables.map((v) => v.name)), points, start, initial };
  } finally {
    ff.dispose();
  }
}
