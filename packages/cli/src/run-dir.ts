/**
 * A run directory — what `train` leaves (and compare leaves per method and seed):
 *   config.resolved.json  the config with every default filled in
 *   history.json          one record per completed epoch: epoch, seconds, loss, acc, val_…, plugin logs
 *   history.csv           the same as a table
 *   evaluation.json       the `ff.evaluate` rows on the test data (float32, 8bit, …)
 *   model/                model.json + weights.bin (load with `loadModelDir` or tfjs-node's file://)
 *   label-noise.json      with label noise: ratio, counts, and the training labels before/after
 *   landscape.json        with a landscape slice: its grid
 *   summary.json          status (completed | interrupted), epochs, final logs, test accuracy…
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import type { TrainConfig } from "./config/schema";
import { saveModelDir } from "./model-io";
import type { EpochLogs } from "./training/callbacks";
import type { RunResult, TrainOutcome } from "./training/run";

/** Writes JSON through a temporary file and a rename: a reader never sees half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n");
  renameSync(tmp, file);
}

const FIRST = ["loss", "acc", "val_loss", "val_acc"];

/** History records: epoch (from 1), seconds, loss, acc, val_loss, val_acc, then what plugins logged. */
export function historyRecords(outcome: TrainOutcome): EpochLogs[] {
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

export function writeResolvedConfig(dir: string, config: TrainConfig): void {
  writeJsonAtomic(path.join(dir, "config.resolved.json"), config);
}

export function summarize(config: TrainConfig, outcome: TrainOutcome): Record<string, unknown> {
  const last = outcome.history[outcome.history.length - 1];
  const mean = outcome.secondsPerEpoch.length ? outcome.secondsPerEpoch.reduce((a, b) => a + b, 0) / outcome.secondsPerEpoch.length : undefined;
  return {
    status: outcome.status,
    epochs: { planned: config.epochs, completed: outcome.history.length },
    ...(outcome.partialEpoch ? { interruptedAt: { epoch: outcome.partialEpoch.epoch + 1, batchesDone: outcome.partialEpoch.batches, logs: outcome.partialEpoch.logs } } : {}),
    final: last ?? null,
    test: outcome.evaluation ? Object.fromEntries(outcome.evaluation.map((r) => [r.variant, { loss: r.loss, ...r.metrics }])) : null,
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
  const records = historyRecords(outcome);
  writeJsonAtomic(path.join(dir, "history.json"), records);
  writeFileSync(path.join(dir, "history.csv"), toCsv(records));
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
