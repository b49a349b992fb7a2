/** What the hooks receive. Plain tfjs values in, plain tfjs values out. */
import type * as tf from "@tensorflow/tfjs";
import type { Logger } from "./logger";
import type { GradientOracle, GradientResult, Perturbable, WeightMove } from "./perturb";
import type { RandomSource } from "./random";
import type { HvpOptions } from "./hvp";
import type { NamedTensors } from "./tensors";

/** Given to `beforeStep`, `gradient`, `afterGradient` and `afterStep` taps. */
export interface StepContext extends Perturbable {
  /** Steps taken by this flatfit instance before this one (0 on the first step). */
  readonly step: number;
  /** The epoch being trained, counted from 0 (known when `ff.callbacks()` is passed to fit). */
  readonly epoch: number;
  /** The batch within the epoch, counted from 0 (known through `ff.callbacks()`). */
  readonly batch: number;
  /** The trainable variables of this step, in the order `model.fit` passed them. */
  readonly variables: readonly tf.Variable[];
  readonly random: RandomSource;
  readonly logger: Logger;
  /**
   * Runs `fn` with the variables moved by `offsets` (keyed by variable name; a subset is fine) and
   * restores them bit-exactly afterwards, also if `fn` throws. Non-trainable state (BatchNorm
   * statistics) is left as one clean evaluation leaves it.
   */
  evaluateAt<T>(offsets: NamedTensors, fn: () => T): T;
  /**
   * As `evaluateAt`, with each variable set to `move(variable, index)` instead of moved by an
   * offset: for a method that computes its perturbed weights in one pass (W + δ in the same
   * kernel as δ). The returned tensors are disposed once assigned.
   */
  evaluateWith<T>(move: WeightMove, fn: () => T): T;
  /** Finite-difference Hessian-vector product H·v at the current weights (see `HessianVectorProduct`). */
  hvp(oracle: GradientOracle, v: NamedTensors, opts?: HvpOptions): NamedTensors;
  /** Scratch space shared by the plugins of this step. */
  readonly data: Map<string, unknown>;
  /** The final gradient, once `afterGradient` ran (set for `afterStep`). */
  readonly result?: GradientResult;
}

/** Given to `epochEnd` taps. */
export interface EpochContext {
  readonly epoch: number;
  /** The epoch logs that History, early stopping and loggers see; taps may add numbers. */
  readonly logs: Record<string, number>;
  readonly model: tf.LayersModel;
  /** The validation data given to `ff.callbacks({ validationData })`, if any. */
  readonly validationData?: [tf.Tensor | tf.Tensor[], tf.Tensor | tf.Tensor[]];
  readonly random: RandomSource;
  readonly logger: Logger;
}

/** One evaluated variant of a model: the float model, or e.g. its 4-bit quantized copy. */
export interface EvalRow {
  variant: string;
  bits?: number;
  loss: number;
  metrics: Record<string, number>;
}

/** Given to `eval` taps. A tap evaluates variants and pushes rows. */
export interface EvalContext {
  readonly model: tf.LayersModel;
  readonly x: tf.Tensor | tf.Tensor[];
  readonly y: tf.Tensor | tf.Tensor[];
  readonly batchSize: number;
  /** Rows so far; the float32 row comes first. */
  readonly rows: EvalRow[];
  /** Evaluates the model as it is now (compiled loss and metrics) and returns numbers. */
  evaluate(): Promise<{ loss: number; metrics: Record<string, number> }>;
  readonly logger: Logger;
}
