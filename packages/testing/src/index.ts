/** Test support for flatfit: reference math (float64) and checks shared by every package's tests. */
export * from "./prng";
export * from "./linalg";
export { LogisticProblem } from "./logistic";
export { QuadraticProblem } from "./quadratic";
export { RecordingOptimizer } from "./recording";
export { HostReadCounter } from "./host-reads";
export { BackendCounter } from "./backend-counter";
export { blobs, bnDropoutModel, mlp, batchNormStats, weightsOf, reluKinkProblem } from "./models";
export { checkFitContract, runFitContract, assertContract, CONTRACT_ENTRIES, type ContractOptions, type ContractEntry, type ContractCheck, type ContractResult } from "./contract";
export { OracleProbe, type Snapshot } from "./oracle-probe";
export { checkDifferenceOrder, type DifferenceMethod, type DifferenceRun, type DifferenceOrderOptions } from "./difference-order";
export { pluginConfigError, checkTrainsBetterThanChance, saveToMemory, type TrainOptions } from "./helpers";
export { captureStep, type CaptureOptions, type CapturedStep } from "./capture-step";
export { UNFUSED_BACKEND, TEST_BACKEND_ENV, TEST_BACKENDS, registerUnfusedCpu, onBackend, kernelsRun, testBackend, useTestBackend } from "./backends";
