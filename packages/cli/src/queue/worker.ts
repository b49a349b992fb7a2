/**
 * `flatfit worker --queue redis://… [--concurrency n] [--artifacts DIR] [--allow-plugin-paths]`:
 * takes trials from the queue and trains each in a worker thread through the embedded runner's
 * code path (`executeJob`), reports per-epoch progress to its job, and stores the result in Redis
 * once (SET NX). A job whose config does not pass the schema fails at once with the config error
 * as its reason; a trial that throws is retried (ATTEMPTS in all). A worker that vanishes (SIGKILL,
 * machine gone) stops renewing its jobs' locks: BullMQ's stalled-job check on the other workers
 * puts them back on the queue. Ctrl-C (or SIGTERM) stops taking jobs and returns the running
 * trials to the queue at once; a second Ctrl-C quits without that.
 */
import * as os from "node:os";
import * as path from "node:path";
import { FlatfitConfigError } from "@flatfit/core";
import { UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import { UsageError } from "../commands/train";
import type { ProgressEvent } from "../progress";
import type { JobSpec } from "../training/job";
import { connect, KEY_PREFIX, parseQueueUrl, QUEUE_NAME, queueUrlFrom, redact } from "./connection";
import { ATTEMPTS, bullConnection, type TrialJobData } from "./enqueue";
import { readResults, storeResult } from "./results";
import { AbortedError, TrainingThread } from "./trainer";
import { validateTrialConfig } from "./validate";

export interface WorkerOptions {
  queue?: string;
  concurrency?: number;
  artifacts?: string;
  allowPluginPaths?: boolean;
  /** Seconds without a lock renewal after which another worker takes a trial over. */
  stalledAfter?: number;
}

/** What a job's progress says while it trains (the follower shows it). */
export interface TrialProgress {
  worker: string;
  /** The epoch in progress (from 1), or the one just completed when `batch` is absent. */
  epoch: number;
  epochs: number;
  batch?: number;
  batches?: number;
  logs: Record<string, number>;
}

export async function workerCommand(opts: WorkerOptions): Promise<number> {
  const url = queueUrlFrom(opts.queue);
  if (!url) throw new UsageError("worker: --queue is required (or FLATFIT_QUEUE); accepted: redis://[:password@]host:port[/db] or rediss://…");
  const target = parseQueueUrl(url, opts.queue ? "--queue" : "FLATFIT_QUEUE");
  const redis = await connect(target);
  const me = `${os.hostname()}:${process.pid}`;
  const print = (line: string) => process.stdout.write(`${redact(line)}\n`);
  const artifacts = opts.artifacts ? path.resolve(opts.artifacts) : undefined;
  const concurrency = opts.concurrency ?? 1;
  const active = new Map<string, { job: Job<TrialJobData>; token?: string; thread: TrainingThread }>();
  const idle: TrainingThread[] = [];
  let stopping = false;

  const processor = async (job: Job<TrialJobData>, token?: string) => {
    const id = job.id!;
    const label = typeof job.data?.label === "string" ? job.data.label : `trial ${id}`;
    if ((await readResults(redis, [id])).has(id)) {
      print(`already stored: ${label} (the result stored first is kept)`);
      return { stored: false };
    }
    const baseDir = typeof job.data?.baseDir === "string" ? job.data.baseDir : process.cwd();
    let config;
    try {
      config = await validateTrialConfig(job.data?.config, baseDir, `job ${id}`, opts.allowPluginPaths === true);
    } catch (err) {
      const message = redact((err as Error).message);
      print(`rejected: ${label}: ${message}`);
      throw new UnrecoverableError(message);
    }
    const thread = idle.pop() ?? new TrainingThread();
    active.set(id, { job, token, thread });
    print(`start: ${label}, attempt ${job.attemptsMade + 1} of ${ATTEMPTS}`);
    const spec: JobSpec = { id, job: { config, baseDir, label }, ...(artifacts ? { runDir: path.join(artifacts, id) } : {}) };
    let sent = 0;
    const report = (e: ProgressEvent) => {
      if (e.type === "end" || (e.type === "batch" && Date.now() - sent < 1000)) return;
      sent = Date.now();
      const p: TrialProgress = { worker: me, epoch: e.epoch + 1, epochs: e.epochs, ...(e.type === "batch" ? { batch: e.batch + 1, batches: e.batches } : {}), logs: e.logs };
      job.updateProgress(p as unknown as object).catch(() => {});
    };
    let outcome;
    try {
      outcome = await thread.run(spec, report, (level, message) => (level === "error" || level === "warn" ? print(`${level}: ${label}: ${message}`) : undefined));
    } catch (err) {
      if (err instanceof AbortedError) {
        await job.moveToWait(token);
        print(`returned to the queue: ${label}`);
        throw new WaitingError();
      }
      const message = redact((err as Error).message);
      print(`failed: ${label}, attempt ${job.attemptsMade + 1} of ${ATTEMPTS}: ${message}`);
      throw new Error(message);
    } finally {
      active.delete(id);
      if (!stopping) idle.push(thread);
    }
    const stored = await storeResult(redis, { id, config, outcome, worker: me, finishedAt: new Date().toISOString() });
    const acc = outcome.evaluation?.[0]?.metrics.acc;
    print(`${stored ? "done" : "already stored"}: ${label}${acc !== undefined ? `: acc@float32 ${acc}` : ""} (${outcome.seconds.toFixed(1)} s)`);
    return { stored, seconds: outcome.seconds };
  };

  const stalledMs = Math.round((opts.stalledAfter ?? 30) * 1000);
  const CLOSE_WAIT_S = 10;
  const worker = new Worker<TrialJobData>(QUEUE_NAME, processor, {
    connection: bullConnection(target),
    prefix: `${KEY_PREFIX}:bull`,
    concurrency,
    lockDuration: stalledMs,
    stalledInterval: stalledMs,
    maxStalledCount: 3,
  });
  let lastError = "";
  worker.on("error", (err) => {
    const m = redact(err.message);
    if (m !== lastError) print(`queue: ${m} (retrying)`);
    lastError = m;
  });
  worker.on("ready", () => (lastError = ""));
  print(`flatfit worker ${me}: ${concurrency} trial(s) at a time from ${target.shown}${artifacts ? `; models to ${artifacts}` : ""}${opts.allowPluginPaths ? "; plugins by path allowed" : ""}`);

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) {
        print("second interrupt: quitting now (running trials go back to the queue when their lock expires)");
        process.exit(130);
      }
      stopping = true;
      print(`${signal}: taking no more trials; returning ${active.size} running trial(s) to the queue (Ctrl-C again to quit now)`);
      const closing = worker.close();
      for (const a of active.values()) a.thread.abort();
      for (const t of idle.splice(0)) t.close();
      // BullMQ's close can wait forever on a connection that went through a Redis restart: a Ctrl-C ends the worker all the same
      setTimeout(() => {
        print(`queue: still closing after ${CLOSE_WAIT_S} s; quitting now (a trial still running returns to the queue when its lock expires)`);
        process.exit(130);
      }, CLOSE_WAIT_S * 1000).unref();
      void closing.then(() => redis.quit()).then(() => resolve(130), () => resolve(130));
    };
    process.on("SIGINT", () => stop("interrupt"));
    process.on("SIGTERM", () => stop("terminated"));
  });
}
