/**
 * The measurements on a compiled model and data: the Hessian of the mean compiled loss over the
 * given samples (inference mode), with respect to the model's trainable weights.
 */
import type * as tf from "@tensorflow/tfjs";
import { maxEigenvalueOf, type EigenOptions, type EigenResult } from "./eigenvalue";
import { landscapeOf, type LandscapeOptions, type LandscapeResult } from "./landscape";
import { modelObjective, type ModelDataOptions } from "./model";
import { traceOf, type TraceOptions, type TraceResult } from "./trace";

type Data = tf.Tensor | tf.Tensor[];

/** Hutchinson trace of the Hessian of the model's loss on (x, y); see `hessianTrace`. */
export async function modelHessianTrace(model: tf.LayersModel, x: Data, y: Data, opts: TraceOptions & ModelDataOptions = {}): Promise<TraceResult> {
  const { value, stdError, rejected } = await traceOf(modelObjective(model, x, y, opts), opts);
  return { value, stdError, rejected };
}

/** Dominant (largest-magnitude) Hessian eigenvalue of the model's loss on (x, y); see `hessianMaxEigenvalue`. */
export async function modelHessianMaxEigenvalue(model: tf.LayersModel, x: Data, y: Data, opts: EigenOptions & ModelDataOptions = {}): Promise<EigenResult> {
  const { value, iterations } = await maxEigenvalueOf(modelObjective(model, x, y, opts), opts);
  return { value, iterations };
}

/** Loss-landscape slice of the model's loss on (x, y) along filter-normalized random directions. */
export async function modelLossLandscape(model: tf.LayersModel, x: Data, y: Data, opts: LandscapeOptions & ModelDataOptions = {}): Promise<LandscapeResult> {
  return landscapeOf(modelObjective(model, x, y, opts), opts);
}
