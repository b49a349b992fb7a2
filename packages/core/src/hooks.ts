/**
 * The six hooks of a flatfit instance. Their names tell the story of a training step:
 *
 *   beforeStep → gradient (wrap the oracle) → afterGradient (transform the final gradients)
 *              → the wrapped optimizer applies them once → afterStep
 *   epochEnd (curvature metrics, schedules) and eval (evaluate variants, e.g. quantized)
 *
 * A fresh set is created per `createFlatfit` call (tapable taps cannot be removed).
 */
import { AsyncSeriesHook, SyncHook, SyncWaterfallHook } from "tapable";
import type * as tf from "@tensorflow/tfjs";
import type { EpochContext, EvalContext, StepContext } from "./context";
import type { GradientOracle } from "./perturb";

export interface FlatfitHooks {
  /** Before any gradient of a step is taken: schedules, per-step state. */
  readonly beforeStep: SyncHook<[StepContext]>;
  /** Wrap the gradient oracle. Plugins listed first wrap the base oracle; later ones wrap the result. */
  readonly gradient: SyncWaterfallHook<[GradientOracle, StepContext]>;
  /** Transform the final gradients (keyed by variable name): clipping, NaN guards, logging. */
  readonly afterGradient: SyncWaterfallHook<[tf.NamedTensorMap, StepContext]>;
  /** After the wrapped optimizer moved the weights. */
  readonly afterStep: SyncHook<[StepContext]>;
  /** At the end of each epoch of `model.fit` (through `ff.callbacks()`); may write to `ctx.logs`. */
  readonly epochEnd: AsyncSeriesHook<[EpochContext]>;
  /** When a model is evaluated (`ff.evaluate`, or at epoch end with validation data): add variant rows. */
  readonly eval: AsyncSeriesHook<[EvalContext]>;
}

export function createHooks(): FlatfitHooks {
  return {
    beforeStep: new SyncHook<[StepContext]>(["ctx"]),
    gradient: new SyncWaterfallHook<[GradientOracle, StepContext]>(["oracle", "ctx"]),
    afterGradient: new SyncWaterfallHook<[tf.NamedTensorMap, StepContext]>(["grads", "ctx"]),
    afterStep: new SyncHook<[StepContext]>(["ctx"]),
    epochEnd: new AsyncSeriesHook<[EpochContext]>(["ctx"]),
    eval: new AsyncSeriesHook<[EvalContext]>(["ctx"]),
  };
}
