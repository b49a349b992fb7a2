/**
 * What flatfit keeps in Redis beside BullMQ's own keys:
 *   flatfit:result:<trial id>  the trial's result (config, outcome: summary, history, evaluation),
 *                              written once with SET NX — a second write of the same trial is refused
 *   flatfit:run:<name>         a sweep's or comparison's manifest: its kind, its trials and what
 *                              the table needs (grid, metric; or the comparison's config)
 *   flatfit:runs               the set of manifest names (`flatfit status` lists them)
 */
import type { Redis } from "ioredis";
import type { CompareConfig, TrainConfig } from "../config/schema";
import type { TrainOutcome } from "../training/run";
import { KEY_PREFIX } from "./connection";

export interface TrialResult {
  id: string;
  config: TrainConfig;
  outcome: TrainOutcome;
  /** host:pid of the worker that trained it. */
  worker: string;
  finishedAt: string;
}

export interface ManifestTrial {
  id: string;
  label: string;
  /** sweep: the grid values; compare: method and seed. */
  assignment: Record<string, unknown>;
}

export type Manifest =
  | { kind: "sweep"; name: string; file: string; createdAt: string; grid: Record<string, unknown[]>; metric: string; order: "max" | "min"; trials: ManifestTrial[] }
  | { kind: "compare"; name: string; file: string; createdAt: string; config: CompareConfig; trials: ManifestTrial[] };

const resultKey = (id: string) => `${KEY_PREFIX}:result:${id}`;
const runKey = (name: string) => `${KEY_PREFIX}:run:${name}`;
const RUNS = `${KEY_PREFIX}:runs`;

/** Stores a trial's result unless one is stored already; true when this call stored it. */
export async function storeResult(redis: Redis, result: TrialResult): Promise<boolean> {
  return (await redis.set(resultKey(result.id), JSON.stringify(result), "NX")) === "OK";
}

/** The stored results of `ids` that have one. */
export async function readResults(redis: Redis, ids: string[]): Promise<Map<string, TrialResult>> {
  const out = new Map<string, TrialResult>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const texts = chunk.length ? await redis.mget(chunk.map(resultKey)) : [];
    texts.forEach((t, k) => {
      if (t) out.set(chunk[k], JSON.parse(t) as TrialResult);
    });
  }
  return out;
}

/** Records (or replaces) a manifest: an extended grid lists all its trials; the finished ones keep their results. */
export async function saveManifest(redis: Redis, manifest: Manifest): Promise<void> {
  await redis.multi().set(runKey(manifest.name), JSON.stringify(manifest)).sadd(RUNS, manifest.name).exec();
}

export async function readManifest(redis: Redis, name: string): Promise<Manifest | undefined> {
  const text = await redis.get(runKey(name));
  return text ? (JSON.parse(text) as Manifest) : undefined;
}

export async function manifestNames(redis: Redis): Promise<string[]> {
  return (await redis.smembers(RUNS)).sort();
}
