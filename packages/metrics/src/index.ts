/**
 * @flatfit/metrics — curvature measurements for any loss closure or compiled tfjs model:
 * Hessian trace (Hutchinson), dominant Hessian eigenvalue (power iteration), and loss-landscape
 * slices along filter-normalized random directions, and PertOPT's PAC-Bayes metric pacGen. Every Hessian-vector product is a finite
 * difference of first-order gradients (tfjs has no grad-of-grad). Weights come back bit-identical.
 *
 *   const { value, stdError } = await hessianTrace(lossFn, vars, { samples: 50, seed: 1 });
 *   const top = await modelHessianMaxEigenvalue(model, xVal, yVal, { iterations: 50 });
 */
export { hessianTrace, traceOf, type TraceOptions, type TraceResult } from "./trace";
export { hessianMaxEigenvalue, maxEigenvalueOf, type EigenOptions, type EigenResult } from "./eigenvalue";
export {
  lossLandscape,
  landscapeOf,
  filterNormalize,
  filterNormalizedDirection,
  type DirectionOptions,
  type LandscapeOptions,
  type LandscapeResult,
} from "./landscape";
export { hutchinsonProbe, hutchinsonSample, rademacherProbe, sidesAgree, twoSidedSample, type ProbeOptions } from "./probes";
export { objectiveHvp, type HvpChoice } from "./hvp";
export { closureObjective, type Objective } from "./objective";
export { modelLoss, modelObjective, modelVariables, type ModelDataOptions } from "./model";
export { modelHessianTrace, modelHessianMaxEigenvalue, modelLossLandscape } from "./model-measures";
export { meanAndStdError } from "./stats";
/** Adam's smoothed squared gradient (pacGen's Hᵢᵢ estimate): core's fused kernel, shared with PertOPT. */
export { secondMomentUpdate } from "@flatfit/core";
export {
  pacGen,
  pacGenOf,
  modelPacGen,
  pacGenValue,
  pacGenRadius,
  estimateHessianLipschitz,
  SecondMomentEstimate,
  PACGEN_DEFAULTS,
  type PacGenOptions,
  type PacGenResult,
} from "./pacgen";
