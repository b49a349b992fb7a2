/**
 * Runs training jobs: in this thread one after the other (workers ≤ 1), or in `workers` worker
 * threads — each thread has its own tfjs and trains one job at a time, so on the pure-JS cpu
 * backend every thread keeps one core busy. Progress and log lines come back as messages.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { LogSink } from "@flatfit/core";
import type { ProgressSink } from "../progress";
import { executeJob, type JobSpec } from "../training/job";
import type { TrainOutcome } from "../training/run";
import type { FromWorker, ToWorker } from "./messages";

export interface PoolOptions {
  workers: number;
  progress?: ProgressSink;
  logSink?: LogSink;
  onDone?: (spec: JobSpec, outcome: TrainOutcome) => void;
  /** A failed job: with `failFast` the pool stops and rejects; otherwise the other jobs go on. */
  onError?: (spec: JobSpec, error: Error) => void;
  failFast?: boolean;
}

export class JobError extends Error {
  constructor(
    readonly spec: JobSpec,
    message: string,
    stack?: string,
  ) {
    super(`${spec.job.label || spec.id}: ${message}`);
    if (stack) this.stack = `${this.message}\n${stack.split("\n").slice(1).join("\n")}`;
  }
}

const WORKER_FILE = path.join(__dirname, "worker.js");

/** Runs every job; resolves with the outcomes of those that finished, by job id. */
export async function runJobs(specs: JobSpec[], opts: PoolOptions): Promise<Map<string, TrainOutcome>> {
  const results = new Map<string, TrainOutcome>();
  const done = (spec: JobSpec, outcome: TrainOutcome) => {
    results.set(spec.id, outcome);
    opts.onDone?.(spec, outcome);
  };
  if (opts.workers <= 1) {
    for (const spec of specs) {
      try {
        done(spec, await executeJob(spec, { progress: opts.progress, logSink: opts.logSink }));
      } catch (err) {
        if (opts.failFast) throw err;
        opts.onError?.(spec, err as Error);
      }
    }
    return results;
  }
  await inWorkers(specs, opts, done);
  return results;
}

function inWorkers(specs: JobSpec[], opts: PoolOptions, done: (spec: JobSpec, outcome: TrainOutcome) => void): Promise<void> {
  const queue = [...specs];
  const workers = new Set<Worker>();
  let remaining = specs.length;
  let failed = false;
  return new Promise<void>((resolve, reject) => {
    if (remaining === 0) return resolve();
    const finishOne = () => {
      remaining--;
      if (remaining === 0) resolve();
    };
    const fail = (spec: JobSpec, err: Error) => {
      if (opts.failFast) {
        if (!failed) {
          failed = true;
          for (const w of workers) void w.terminate();
          reject(err);
        }
        return;
      }
      opts.onError?.(spec, err);
      finishOne();
    };
    const start = () => {
      const worker = new Worker(WORKER_FILE);
      workers.add(worker);
      let current: JobSpec | undefined;
      const next = () => {
        current = failed ? undefined : queue.shift();
        if (!current) {
          workers.delete(worker);
          void worker.terminate();
          return;
        }
        worker.postMessage({ type: "job", spec: current } satisfies ToWorker);
      };
      worker.on("message", (m: FromWorker) => {
        if (m.type === "progress") opts.progress?.(m.event);
        else if (m.type === "log") opts.logSink?.(m.level, m.message);
        else if (current && m.id === current.id) {
          const spec = current;
          if (m.type === "done") {
            done(spec, m.outcome);
            finishOne();
          } else fail(spec, new JobError(spec, m.message, m.stack));
          next();
        }
      });
      worker.on("error", (err) => {
        // The thread died (not a job error it could report): fail its job, go on with a new thread.
        workers.delete(worker);
        if (current) fail(current, new JobError(current, err.message, err.stack));
        current = undefined;
        if (!failed && queue.length > 0) start();
      });
      next();
    };
    for (let i = 0; i < Math.min(opts.workers, queue.length); i++) start();
  });
}
