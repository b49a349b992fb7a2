/**
 * Putting trials on the queue: one BullMQ job per trial, its job id the trial id (the SHA-256 of
 * the trial's resolved config). BullMQ adds nothing for an id it holds already, so enqueuing the
 * same grid twice adds no job; a trial with a stored result is not enqueued again; a trial that
 * failed is retried (as rerunning an embedded sweep retries its failed trials).
 */
import { Queue, type ConnectionOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { TrainConfig } from "../config/schema";
import { KEY_PREFIX, QUEUE_NAME, type QueueTarget } from "./connection";
import { readResults } from "./results";

/** What a job carries: plain data, the same a worker thread of the embedded runner gets. */
export interface TrialJobData {
  config: TrainConfig;
  /** Folder that relative paths resolve from (the config's paths are absolute already). */
  baseDir: string;
  label: string;
}

export interface QueuedTrial extends TrialJobData {
  id: string;
}

/** Tries per trial: a trial that throws is run again this many times in all before it is marked failed. */
export const ATTEMPTS = 3;

/** BullMQ's connection options for a target (ioredis options; BullMQ opens its own connections with them). */
export const bullConnection = (target: QueueTarget) => target.options as unknown as ConnectionOptions;

export function openQueue(target: QueueTarget) {
  const queue = new Queue<TrialJobData>(QUEUE_NAME, { connection: bullConnection(target), prefix: `${KEY_PREFIX}:bull` });
  queue.on("error", () => {}); // reconnects are ioredis's job; a failing command surfaces where it is awaited
  return queue;
}

export type TrialQueue = ReturnType<typeof openQueue>;

export interface EnqueueCounts {
  added: number;
  /** Already on the queue (waiting, running or delayed for a retry). */
  queued: number;
  /** Finished before: a result is stored. */
  finished: number;
  /** Had failed: put back to be tried again. */
  retried: number;
}

export async function enqueueTrials(queue: TrialQueue, redis: Redis, trials: QueuedTrial[]): Promise<EnqueueCounts> {
  const counts: EnqueueCounts = { added: 0, queued: 0, finished: 0, retried: 0 };
  const done = await readResults(redis, trials.map((t) => t.id));
  const toAdd: QueuedTrial[] = [];
  for (const t of trials) {
    if (done.has(t.id)) {
      counts.finished++;
      continue;
    }
    const job = await queue.getJob(t.id);
    const state = job ? await job.getState() : undefined;
    if (!job) toAdd.push(t);
    else if (state === "failed") {
      await job.retry("failed");
      counts.retried++;
    } else if (state === "completed") {
      // completed, yet no stored result (its key was deleted): run it again
      await job.remove();
      toAdd.push(t);
    } else counts.queued++;
  }
  if (toAdd.length) {
    const jobs = await queue.addBulk(
      toAdd.map(({ id, ...data }) => ({
        name: "trial",
        data,
        opts: { jobId: id, attempts: ATTEMPTS, backoff: { type: "fixed", delay: 1000 }, removeOnComplete: false, removeOnFail: false },
      })),
    );
    counts.added += jobs.length;
  }
  return counts;
}
