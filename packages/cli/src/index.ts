/**
 * @flatfit/cli — the `flatfit` command and the pieces it is made of, for scripts and tests:
 * config loading with file/line errors, the model zoo, data specs, saved-model folders, one
 * training run, comparison reports, sweep grids.
 */
import "reflect-metadata";

export { trainCommand, type TrainOptions } from "./commands/train";
export { compareCommand, type CompareOptions } from "./commands/compare";
export { sweepCommand, readTrial, type SweepOptions } from "./commands/sweep";
export { loadTrainConfig, loadCompareConfig, loadSweepConfig, checkPlugins, type Loaded } from "./config/load";
export { cliJsonSchema, type ConfigKind } from "./config/json-schema";
export * from "./config/schema";
export { formatPath } from "./config/issues";
export { quantizationSetups, quantizationPlugins, describeSetup, variantName, setupSchema, QUANTIZE_OPTIONS, type QuantizationSetup } from "./config/evaluate";
export { buildZooModel, buildMlp, buildCnn, describeZoo } from "./zoo";
export { createModel, describeModel, type ModelFactory } from "./model-source";
export { saveModelDir, loadModelDir, dirSaveHandler } from "./model-io";
export { quantizeModel, quantizeCommand, formatQuantizeReport, QUANTIZATION_REPORT, type QuantizeOptions, type QuantizeReport, type ModelFileSizes } from "./commands/quantize";
export { loadRunData, type RunData, type DataInfo, type LabelNoiseRecord } from "./data";
export { createOptimizer } from "./optimizer";
export { runTraining, disposeModel, type TrainJob, type TrainOutcome, type RunEnv, type RunResult } from "./training/run";
export { executeJob, type JobSpec } from "./training/job";
export { modelTrace, EpochTraceCallback, type TraceRecord } from "./training/trace";
export { runJobs, type PoolOptions } from "./parallel/pool";
export { writeRunDir, historyRecords, toCsv, summarize } from "./run-dir";
export { Interrupt } from "./interrupt";
export { TerminalProgress, formatLogs, type ProgressEvent, type ProgressSink } from "./progress";
export { buildCompareReport, summarizeEvaluations } from "./compare/report";
export { compareJobs, methodConfig } from "./compare/jobs";
export { expandGrid, parseGridPath, trialId, canonicalJson, type Trial } from "./sweep/grid";
export { metricValue, rankBy, defaultOrder } from "./sweep/rank";
export { formatTable } from "./table";
export { resolveRunConfig, resolvePluginSpec, configDifferences } from "./config/resolve";
export { writeCheckpoint, readCheckpoint, clearCheckpoint, CHECKPOINT } from "./run-dir";
export { epochRandom, orderAfter, EpochSeeding } from "./training/epoch-order";
export { UsageError } from "./commands/train";
export type { EpochPoint, ResumeFrom } from "./training/run";
export { parseQueueUrl, queueUrlFrom, redact, connect, QUEUE_NAME, QUEUE_ENV, type QueueTarget } from "./queue/connection";
export { openQueue, enqueueTrials, ATTEMPTS, type TrialJobData, type QueuedTrial, type TrialQueue } from "./queue/enqueue";
export { readResults, readManifest, storeResult, type TrialResult, type Manifest } from "./queue/results";
export { workerCommand, type WorkerOptions } from "./queue/worker";
export { statusCommand, type StatusOptions } from "./queue/status";
