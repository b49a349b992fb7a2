/**
 * Where each trial of a sweep or comparison stands on the queue — queued, running (which epoch, on
 * which worker), retrying, done, failed — read from BullMQ's jobs and flatfit's stored results,
 * and `follow`, which polls that until every trial is done or failed, printing each change (and a
 * progress bar per running trial on a TTY). A lost connection is waited out (ioredis reconnects).
 */
import type { Redis } from "ioredis";
import type { TerminalProgress } from "../progress";
import { redact } from "./connection";
import type { TrialQueue } from "./enqueue";
import { readResults, type ManifestTrial, type TrialResult } from "./results";
import type { TrialProgress } from "./worker";

export type TrialState = "queued" | "running" | "retrying" | "done" | "failed" | "not queued";

export interface TrialView {
  trial: ManifestTrial;
  state: TrialState;
  progress?: TrialProgress;
  reason?: string;
  attempts: number;
}

export interface QueueSnapshot {
  views: TrialView[];
  results: Map<string, TrialResult>;
}

const STATES: Record<string, TrialState> = { waiting: "queued", wait: "queued", prioritized: "queued", "waiting-children": "queued", active: "running", delayed: "retrying", completed: "done", failed: "failed" };

export async function snapshot(queue: TrialQueue, redis: Redis, trials: ManifestTrial[]): Promise<QueueSnapshot> {
  const results = await readResults(redis, trials.map((t) => t.id));
  const views = await Promise.all(
    trials.map(async (trial): Promise<TrialView> => {
      if (results.has(trial.id)) return { trial, state: "done", attempts: 0 };
      const job = await queue.getJob(trial.id);
      if (!job) return { trial, state: "not queued", attempts: 0 };
      const state = STATES[await job.getState()] ?? "queued";
      const progress = typeof job.progress === "object" && job.progress !== null ? (job.progress as unknown as TrialProgress) : undefined;
      // a completed job without a stored result was a stale duplicate: its result is stored under the same id by then
      return { trial, state: state === "done" ? "running" : state, progress: state === "running" ? progress : undefined, reason: job.failedReason ? redact(job.failedReason) : undefined, attempts: job.attemptsMade };
    }),
  );
  return { views, results };
}

export function counts(views: TrialView[]): string {
  const n = (s: TrialState) => views.filter((v) => v.state === s).length;
  const parts = (["done", "running", "queued", "retrying", "failed", "not queued"] as const).filter((s) => n(s) > 0 || s === "done").map((s) => `${n(s)} ${s}`);
  return `${views.length} trials: ${parts.join(", ")}`;
}

/** "running, epoch 2/5 (batch 10/40) on host:123" */
export function describe(v: TrialView): string {
  const p = v.progress;
  if (v.state === "running" && p) return `running, epoch ${p.epoch}/${p.epochs}${p.batch !== undefined ? ` (batch ${p.batch}/${p.batches})` : " done"} on ${p.worker}`;
  if (v.state === "failed" || v.state === "retrying") return `${v.state} after ${v.attempts} attempt(s): ${v.reason ?? "?"}`;
  return v.state;
}

/** Polls until every trial is done or failed; resolves with the stored results. */
export async function follow(queue: TrialQueue, redis: Redis, trials: ManifestTrial[], terminal: TerminalProgress, everyMs = 500): Promise<QueueSnapshot> {
  const last = new Map<string, string>();
  let lost = false;
  for (;;) {
    let snap: QueueSnapshot;
    try {
      snap = await snapshot(queue, redis, trials);
      if (lost) terminal.log("queue: connection back");
      lost = false;
    } catch (err) {
      if (!lost) terminal.log(`queue: ${redact((err as Error).message)}; waiting for it to come back`);
      lost = true;
      await new Promise((r) => setTimeout(r, everyMs));
      continue;
    }
    for (const v of snap.views) {
      const text = describe(v);
      const p = v.progress;
      if (v.state === "running" && p?.batch !== undefined) {
        terminal.sink({ type: "batch", job: v.trial.label, epoch: p.epoch - 1, epochs: p.epochs, batch: p.batch - 1, batches: p.batches ?? 1, logs: p.logs });
      }
      const key = v.state === "running" && p?.batch !== undefined ? `running ${p.epoch} ${p.worker}` : text;
      if (last.get(v.trial.id) === key) continue;
      if (v.state !== "running") terminal.sink({ type: "end", job: v.trial.label });
      last.set(v.trial.id, key);
      terminal.log(`${v.trial.label}: ${text}`);
    }
    if (snap.views.every((v) => v.state === "done" || v.state === "failed" || v.state === "not queued")) return snap;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
