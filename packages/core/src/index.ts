/**
 * @flatfit/core — a hookable training step for TensorFlow.js.
 *
 *   const ff = await createFlatfit({ seed: 1, plugins: [{ use: "hero", h: 0.5, gamma: 0.1 }] });
 *   model.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy" });
 *   await model.fit(x, y, { callbacks: [ff.callbacks({ validationData: [xv, yv] })] });
 */
import "reflect-metadata";

export { createFlatfit, Flatfit, type CreateOptions } from "./flatfit";
export { createHooks, type FlatfitHooks } from "./hooks";
export type { StepContext, EpochContext, EvalContext, EvalRow } from "./context";
export { PLUGIN_OPTIONS, FLATFIT_CONFIG, type FlatfitPlugin, type PluginClass, type PluginServices } from "./plugin";
export { withMovedWeights, withOffsets, VariablePerturber, type GradientOracle, type GradientResult, type Perturbable, type WeightMove } from "./perturb";
export { hessianVectorProduct, finiteDifferenceStep, HessianVectorProduct, type HvpMethod, type HvpOptions } from "./hvp";
export { RandomSource, uniformValues, counterKey, counterUniform } from "./random";
export { Logger, LOG_LEVELS, type LogLevel, type LogSink } from "./logger";
export { FlatfitOptimizer, isFlatfitOptimizer, STATE_PREFIX } from "./optimizer";
export { FlatfitCallback, type CallbackOptions, type Validation } from "./callbacks";
export { FlatfitBackendError, FlatfitPluginError } from "./taps";
export { evaluateModel, variantLogKey } from "./evaluate";
export { coreConfigSchema, configJsonSchema, type FlatfitConfig, type PluginSpec } from "./config";
export { FlatfitConfigError, formatPath, type ConfigIssue } from "./errors";
export { readConfigFile, type SourcedConfig } from "./config-file";
export { BUILTIN_PLUGINS, resolvePlugin } from "./resolve";
export { CORE_API_VERSION, coreApiMismatch, assertCoreApi } from "./compat";
export { selectBackend, isBackendRegistered, BACKENDS, type BackendPreference } from "./backend";
export * from "./tensors";
export { addMany, ADD_N_MAX_INPUTS } from "./add-many";
export {
  defineFusedKernel,
  onFusedKernelDefined,
  fusedKernelSpecs,
  fusedKernelInputs,
  orderedKernelInputs,
  linearCombination,
  sumOfSquares,
  dot,
  type FusedKernel,
  type FusedKernelSpec,
  type AnyFusedKernelSpec,
  type Coefficient,
  type Values,
} from "./fused";
export { secondMomentUpdate } from "./second-moment";
export { fusedExpr, evaluateElementwise, exprAttrs, exprSeeds, UNARY_OPS, BINARY_OPS, type Expr, type Elementwise, type UnaryOp, type BinaryOp } from "./fused-expr";
export { StepEngine, defaultVariables } from "./step";
export { preserveOtherVariables, FlatfitClosureError } from "./closure-guard";
export { SlotVariables } from "./slots";
/** zod, re-exported so that plugins declare option schemas with the same copy core validates with. */
export { z } from "zod";
