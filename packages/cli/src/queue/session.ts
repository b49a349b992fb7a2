/** What `sweep`, `compare` and `status` hold while they talk to the queue: the target, a Redis connection, the BullMQ queue. */
import type { Redis } from "ioredis";
import { connect, parseQueueUrl, queueUrlFrom, QUEUE_ENV, type QueueTarget } from "./connection";
import { enqueueTrials, openQueue, type EnqueueCounts, type QueuedTrial, type TrialQueue } from "./enqueue";
import type { TerminalProgress } from "../progress";
import { follow, type QueueSnapshot } from "./follow";
import type { ManifestTrial } from "./results";

export interface QueueSession {
  target: QueueTarget;
  redis: Redis;
  queue: TrialQueue;
  enqueue(trials: QueuedTrial[]): Promise<EnqueueCounts>;
  close(): Promise<void>;
}

/** Connects to the queue of `--queue` (or $FLATFIT_QUEUE); the caller checked that one is given. */
export async function openSession(option: string | undefined): Promise<QueueSession> {
  const target = parseQueueUrl(queueUrlFrom(option)!, option ? "--queue" : QUEUE_ENV);
  const redis = await connect(target);
  const queue = openQueue(target);
  return {
    target,
    redis,
    queue,
    enqueue: (trials) => enqueueTrials(queue, redis, trials),
    close: async () => {
      await queue.close().catch(() => {});
      redis.disconnect();
    },
  };
}

function enqueueLine(shown: string, name: string, c: EnqueueCounts): string {
  return `queue ${shown}, "${name}": ${c.added} trial(s) added, ${c.queued} on the queue already, ${c.finished} finished before (kept), ${c.retried} failed before (retried)`;
}

/**
 * What `sweep` and `compare` do once their trials are enqueued: print the counts, then either
 * (`detach`) say how to follow them and return undefined, or follow the queue until every trial is
 * done or failed and return where they stand (the progress display stopped).
 */
export async function followEnqueued(s: QueueSession, name: string, c: EnqueueCounts, trials: ManifestTrial[], terminal: TerminalProgress, detach: boolean | undefined): Promise<QueueSnapshot | undefined> {
  terminal.log(enqueueLine(s.target.shown, name, c));
  if (detach) {
    terminal.log(`detached: see where it stands with flatfit status --queue ${s.target.shown} --name ${name}`);
    return undefined;
  }
  const snap = await follow(s.queue, s.redis, trials, terminal);
  terminal.stop();
  return snap;
}
