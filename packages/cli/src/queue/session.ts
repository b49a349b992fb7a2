/** What `sweep`, `compare` and `status` hold while they talk to the queue: the target, a Redis connection, the BullMQ queue. */
import type { Redis } from "ioredis";
import { connect, parseQueueUrl, queueUrlFrom, QUEUE_ENV, type QueueTarget } from "./connection";
import { enqueueTrials, openQueue, type EnqueueCounts, type QueuedTrial, type TrialQueue } from "./enqueue";

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

export function enqueueLine(shown: string, name: string, c: EnqueueCounts): string {
  return `queue ${shown}, "${name}": ${c.added} trial(s) added, ${c.queued} on the queue already, ${c.finished} finished before (kept), ${c.retried} failed before (retried)`;
}
