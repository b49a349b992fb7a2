/**
 * A run directory — what `train` leaves (and compare leaves per method and seed):
 *   config.resolved.json  the config with every default filled in
 *   history.json          one record per completed epoch: epoch, seconds, loss, acc, val_…, plugin logs
 *   history.csv           the same as a table
 *   evaluation.json       the `ff.evaluate` rows on the test data (float32, 8bit, …)
 *   model/                model.json + weights.bin (load with `loadModelDir` or tfjs-node's file://)
 *   checkpoint/           `train` only: the model at the end of the last complete epoch, with its
 *                         optimizer (flatfit's state rides in its config) and the history so far in
 *                         model.json's metadata — what `train --resume` continues from
 *   label-noise.json      with label noise: ratio, counts, and the training labels before/after
 *   landscape.json        with a landscape slice: its grid
 *   summary.json          status (completed | interrupted), epochs, final logs, test accuracy…
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import type { TrainConfig } from "./config/schema";
import { readModelMetadata, saveModelDir } from "./model-io";
import type { EpochLogs } from "./training/callbacks";
import type { EpochPoint, RunResult, TrainOutcome } from "./training/run";

/** Writes JSON through a temporary file and a rename: a reader never sees half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n");
  renameSync(tmp, file);
}

const FIRST = ["loss", "acc", "val_loss", "val_acc"];

/** History records: epoch (from 1), seconds, loss, acc, val_loss, val_acc, then what plugins logged. */
export function historyRecords(outcome: Pick<TrainOutcome, "history" | "secondsPerEpoch">): EpochLogs[] {
  return outcome.history.map((logs, i) => {
    const keys = [...FIRST.filter((k) => k in logs), ...Object.keys(logs).filter((k) => !FIRST.includes(k))];
    return { epoch: i + 1, seconds: outcome.secondsPerEpoch[i], ...Object.fromEntries(keys.map((k) => [k, logs[k]])) };
  });
}

const cell = (v: unknown): string => (v === undefined || v === null ? "" : String(v));

/** The records as CSV: columns in order of first appearance. */
export function toCsv(records: Array<Record<string, unknown>>): string {
  const columns: string[] = [];
  for (const r of records) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const lines = [columns.join(","), ...records.map((r) => columns.map((c) => cell(r[c])).join(","))];
  return lines.join("\n") + "\n";
}

export const RESOLVED_CONFIG = "config.resolved.json";

export function writeResolvedConfig(dir: string, config: TrainConfig): void {
  writeJsonAtomic(path.join(dir, RESOLVED_CONFIG), config);
}

function writeHistory(dir: string, point: Pick<TrainOutcome, "history" | "secondsPerEpoch">): void {
  const records = historyRecords(point);
  writeJsonAtomic(path.join(dir, "history.json"), records);
  const csv = path.join(dir, "history.csv");
  writeFileSync(`${csv}.tmp`, toCsv(records));
  renameSync(`${csv}.tmp`, csv);
}

/** The folder of a run's resume point, and its metadata key in model.json. */
export const CHECKPOINT = "checkpoint";
const CHECKPOINT_KEY = "flatfitCheckpoint";

/**
 * Saves the resume point of `dir` after a complete epoch: the model with its optimizer into
 * checkpoint/ (written beside it, then swapped in by renames, so that a kill at any moment leaves
 * a complete checkpoint/ or checkpoint.prev/), and the history so far.
 */
export async function writeCheckpoint(dir: string, model: tf.LayersModel, point: EpochPoint): Promise<void> {
  const final = path.join(dir, CHECKPOINT);
  const next = `${final}.next`;
  const prev = `${final}.prev`;
  rmSync(next, { recursive: true, force: true });
  const metadata = { [CHECKPOINT_KEY]: { format: 1, ...point, savedAt: new Date().toISOString() } };
  await saveModelDir(model, next, { includeOptimizer: true, metadata });
  if (existsSync(final)) {
    assertOwnCheckpoint(final);
    rmSync(prev, { recursive: true, force: true });
    renameSync(final, prev);
  }
  renameSync(next, final);
  rmSync(prev, { recursive: true, force: true });
  writeHistory(dir, point);
}

/** Refuses to replace a folder named like the checkpoint that flatfit did not write. */
function assertOwnCheckpoint(folder: string): void {
  if (readModelMetadata(folder)?.[CHECKPOINT_KEY] === undefined) {
    throw new Error(`${folder} exists but is not a resume point written by flatfit train; train saves its resume point there: move it, or choose another --out`);
  }
}

/** Removes the resume point an earlier run left in `dir` (a new run starts over); throws on a folder flatfit did not write. */
export function clearCheckpoint(dir: string): void {
  for (const suffix of ["", ".prev"]) {
    const folder = path.join(dir, CHECKPOINT + suffix);
    if (!existsSync(folder)) continue;
    assertOwnCheckpoint(folder);
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The resume point of run directory `dir`: its model folder and where the run stood; undefined when there is none. */
export function readCheckpoint(dir: string): (EpochPoint & { modelDir: string }) | undefined {
  for (const folder of [CHECKPOINT, `${CHECKPOINT}.prev`]) {
    const modelDir = path.join(dir, folder);
    const meta = readModelMetadata(modelDir)?.[CHECKPOINT_KEY] as (EpochPoint & { format?: number }) | undefined;
    if (!meta || meta.format !== 1 || !Number.isInteger(meta.epochsCompleted)) continue;
    return { modelDir, epochsCompleted: meta.epochsCompleted, history: meta.history ?? [], secondsPerEpoch: meta.secondsPerEpoch ?? [] };
  }
  return undefined;
}

export function summarize(config: TrainConfig, outcome: TrainOutcome): Record<string, unknown> {
  const last = outcome.history[outcome.history.length - 1];
  const mean = outcome.secondsPerEpoch.length ? outcome.secondsPerEpoch.reduce((a, b) => a + b, 0) / outcome.secondsPerEpoch.length : undefined;
  return {
    status: outcome.status,
    epochs: { planned: config.epochs, completed: outcome.history.length },
    ...(outcome.resumedAfter !== undefined ? { resumedAfter: outcome.resumedAfter } : {}),
    ...(outcome.partialEpoch ? { interruptedAt: { epoch: outcome.partialEpoch.epoch + 1, batchesDone: outcome.partialEpoch.batches, logs: outcome.partialEpoch.logs } } : {}),
    final: last ?? null,
    test: outcome.evaluation ? Object.fromEntries(outcome.evaluation.map((r) => [r.variant, { loss: r.loss, ...r.metrics }])) : null,
    ...(outcome.trainEvaluation ? { train: { loss: outcome.trainEvaluation.loss, ...outcome.trainEvaluation.metrics } } : {}),
    hessianTrace: outcome.hessianTrace ?? null,
    secondsPerEpoch: mean ?? null,
    seconds: outcome.seconds,
    data: outcome.data,
    plugins: outcome.plugins,
    backend: outcome.backend,
    finishedAt: new Date().toISOString(),
  };
}

/** Writes the whole run directory (the model too). */
export async function writeRunDir(dir: string, config: TrainConfig, run: RunResult): Promise<void> {
  const { outcome } = run;
  mkdirSync(dir, { recursive: true });
  writeResolvedConfig(dir, config);
  writeHistory(dir, outcome);
  if (outcome.evaluation) writeJsonAtomic(path.join(dir, "evaluation.json"), outcome.evaluation);
  if (outcome.landscape) writeJsonAtomic(path.join(dir, "landscape.json"), outcome.landscape);
  if (run.labels && outcome.data.labelNoise) {
    writeJsonAtomic(path.join(dir, "label-noise.json"), { ...outcome.data.labelNoise, cleanLabels: Array.from(run.labels.clean), noisyLabels: Array.from(run.labels.noisy) });
  }
  await saveModel(run.model, dir);
  writeJsonAtomic(path.join(dir, "summary.json"), summarize(config, outcome));
}

async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await saveModelDir(model, path.join(dir, "model"));
}
