/**
 * `flatfit sweep --config grid.yaml [--workers N] [--out DIR] [--quiet]`: every point of the
 * grid is a trial, run in worker threads (default: one per core). A finished trial writes
 * DIR/trials/<id>.json (atomically); rerunning the same command skips those, so a sweep that
 * was stopped or killed resumes. At the end the trials are ranked by the metric in a table
 * and in DIR/results.json.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadSweepConfig } from "../config/load";
import { runJobs } from "../parallel/pool";
import { fmt, TerminalProgress } from "../progress";
import { writeJsonAtomic } from "../run-dir";
import type { Trial } from "../sweep/grid";
import { defaultOrder, metricValue } from "../sweep/rank";
import { rankSweep, writeSweepResults } from "../sweep/report";
import type { TrainOutcome } from "../training/run";
import { queueUrlFrom } from "../queue/connection";
import { UsageError } from "./train";
import { backendLine, defaultOutDir, logSinkTo, onExit } from "./common";

export interface SweepOptions {
  config: string;
  out?: string;
  workers?: number;
  quiet?: boolean;
  /** redis://… : enqueue the trials for `flatfit worker`s instead of running them here (also $FLATFIT_QUEUE). */
  queue?: string;
  /** With a queue: enqueue and return. */
  detach?: boolean;
}

interface TrialRecord {
  id: string;
  assignment: Record<string, unknown>;
  outcome: TrainOutcome;
}

/** The finished trial's record, or undefined when it has not finished. */
export function readTrial(trialsDir: string, id: string): TrialRecord | undefined {
  const file = path.join(trialsDir, `${id}.json`);
  if (!existsSync(file)) return undefined;
  try {
    const rec = JSON.parse(readFileSync(file, "utf8")) as TrialRecord;
    return rec && rec.outcome ? rec : undefined;
  } catch {
    return undefined;
  }
}

export const short = (a: Record<string, unknown>) =>
  Object.entries(a)
    .map(([k, v]) => `${k.split(/[.[\]]/).filter(Boolean).pop()}=${JSON.stringify(v)}`)
    .join(" ");

export async function sweepCommand(opts: SweepOptions): Promise<number> {
  if (queueUrlFrom(opts.queue) !== undefined) return (await import("../queue/sweep")).queueSweep(opts); // BullMQ loads only in queue mode
  if (opts.detach) throw new UsageError("sweep: --detach needs a queue to leave the trials on: --queue redis://… or FLATFIT_QUEUE");
  const { config, dir, file } = await loadSweepConfig(opts.config);
  const out = path.resolve(opts.out ?? defaultOutDir(config.name, file));
  const trialsDir = path.join(out, "trials");
  mkdirSync(trialsDir, { recursive: true });
  const { trials, grid, metric } = config;
  const order = config.order ?? defaultOrder(metric);
  writeJsonAtomic(path.join(out, "sweep.json"), { config: path.resolve(file), grid, metric, order, trials: trials.map((t) => ({ id: t.id, assignment: t.assignment })) });

  const pending = trials.filter((t) => !readTrial(trialsDir, t.id));
  const workers = Math.max(1, Math.min(opts.workers ?? config.workers ?? os.availableParallelism(), pending.length || 1));
  const terminal = new TerminalProgress(!opts.quiet);
  terminal.log(`flatfit sweep ${file}: ${trials.length} trials over ${Object.keys(grid).join(", ")}`);
  terminal.log(`${trials.length - pending.length} finished already (kept), ${pending.length} to run with ${workers} worker thread(s); ${backendLine()}`);
  let failures = 0;
  const label = (t: Trial) => `trial ${t.id} (${short(t.assignment)})`;
  const release = onExit(() => terminal.stop(), { message: "interrupted: finished trials are kept; run the same command again to resume", print: (l) => process.stderr.write(`${l}\n`) });
  try {
    await runJobs(
      pending.map((t) => ({ id: t.id, job: { config: t.config, baseDir: dir, label: label(t) }, resultFile: path.join(trialsDir, `${t.id}.json`), resultMeta: { assignment: t.assignment } })),
      {
        workers,
        progress: terminal.sink,
        logSink: logSinkTo((l) => terminal.log(l), "warn"),
        onDone: (spec, o) => terminal.log(`done: ${spec.job.label}: ${metric} ${fmt(metricValue(o, metric) ?? NaN)}`),
        onError: (spec, err) => {
          failures++;
          terminal.log(`failed: ${spec.job.label}: ${err.message}`);
        },
      },
    );
  } finally {
    terminal.stop();
    release();
  }

  const finished = trials.flatMap((t) => {
    const rec = readTrial(trialsDir, t.id);
    return rec ? [{ id: t.id, assignment: t.assignment, outcome: rec.outcome }] : [];
  });
  const ranking = rankSweep(finished, grid, metric, order);
  terminal.log("");
  for (const line of ranking.lines) terminal.log(line);
  writeSweepResults(out, ranking, grid, metric, order, finished.length === trials.length);
  terminal.log(`results: ${path.join(out, "results.json")}${failures ? ` (${failures} trial(s) failed; rerun the command to retry them)` : ""}`);
  return failures ? 1 : 0;
}
