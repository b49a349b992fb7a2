/**
 * A training job as compare and sweep hand it out — in this thread or to a worker thread: run it,
 * write what it leaves (a run directory, a result file), free the model, return the outcome.
 * Everything in a JobSpec and in the outcome is plain data, so it crosses `postMessage`.
 */
import * as path from "node:path";
import type { TrainConfig } from "../config/schema";
import { writeJsonAtomic, writeRunDir } from "../run-dir";
import { disposeModel, runTraining, type RunEnv, type TrainJob, type TrainOutcome } from "./run";

export interface JobSpec {
  id: string;
  job: TrainJob;
  /** Write a run directory here (compare: one per method and seed). */
  runDir?: string;
  /** Write `{...resultMeta, config, outcome}` here once the job is done (sweep: trials/<id>.json). */
  resultFile?: string;
  resultMeta?: Record<string, unknown>;
}

export async function executeJob(spec: JobSpec, env: RunEnv = {}): Promise<TrainOutcome> {
  const run = await runTraining(spec.job, env);
  try {
    if (spec.runDir) await writeRunDir(spec.runDir, spec.job.config, run);
    if (spec.resultFile) writeJsonAtomic(spec.resultFile, resultRecord(spec, spec.job.config, run.outcome));
    return run.outcome;
  } finally {
    disposeModel(run.model);
  }
}

function resultRecord(spec: JobSpec, config: TrainConfig, outcome: TrainOutcome): Record<string, unknown> {
  return { id: spec.id, ...spec.resultMeta, config, outcome, file: path.basename(spec.resultFile ?? ""), finishedAt: new Date().toISOString() };
}
