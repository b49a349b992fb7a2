/**
 * `flatfit compare --config compare.yaml [--out DIR] [--workers N] [--quiet]`: every method
 * with every seed from one base setup; prints the summary table (mean ± std over seeds), with
 * several seeds each method's paired difference to the baseline method (95% CI), and
 * writes DIR/report.html, DIR/results.json and a run directory per method and seed (DIR/runs/).
 */
import * as path from "node:path";
import { compareJobs, describeSchedules, methodSchedule } from "../compare/jobs";
import { finishCompare } from "../compare/output";
import type { CompareConfig } from "../config/schema";
import { loadCompareConfig } from "../config/load";
import { describeModel } from "../model-source";
import { runJobs } from "../parallel/pool";
import { TerminalProgress } from "../progress";
import { queueUrlFrom } from "../queue/connection";
import { UsageError } from "./train";
import { backendLine, defaultOutDir, logSinkTo, onExit } from "./common";

export interface CompareOptions {
  config: string;
  out?: string;
  workers?: number;
  quiet?: boolean;
  /** redis://… : enqueue the trainings for `flatfit worker`s instead of running them here (also $FLATFIT_QUEUE). */
  queue?: string;
  /** With a queue: enqueue and return. */
  detach?: boolean;
}

export async function compareCommand(opts: CompareOptions): Promise<number> {
  if (queueUrlFrom(opts.queue) !== undefined) return (await import("../queue/compare")).queueCompare(opts); // BullMQ loads only in queue mode
  if (opts.detach) throw new UsageError("compare: --detach needs a queue to leave the trials on: --queue redis://… or FLATFIT_QUEUE");
  const started = performance.now();
  const { config, dir, file } = await loadCompareConfig(opts.config);
  const out = path.resolve(opts.out ?? defaultOutDir(config.name, file));
  const specs = compareJobs(config, dir, out);
  const workers = Math.max(1, Math.min(opts.workers ?? config.workers, specs.length));
  const terminal = new TerminalProgress(!opts.quiet);
  const b = config.base;
  terminal.log(`flatfit compare ${file}: ${config.methods.map((m) => m.name).join(", ")}`);
  terminal.log(`${specs.length} trainings (${config.methods.length} methods × ${config.seeds.length} seeds) of ${describeModel(b.model)}, ${epochsLine(config)}; ${workers} at a time`);
  terminal.log(backendLine());
  const release = onExit(() => terminal.stop(), { message: "interrupted: the finished trainings' run directories are in " + path.join(out, "runs"), print: (l) => process.stderr.write(`${l}\n`) });
  try {
    const outcomes = await runJobs(specs, {
      workers,
      progress: terminal.sink,
      logSink: logSinkTo((l) => terminal.log(l), "warn"),
      failFast: true,
      onDone: (spec, o) => {
        const acc = o.evaluation?.map((r) => `${r.variant} ${(100 * (r.metrics.acc ?? NaN)).toFixed(2)}%`).join(", ");
        terminal.log(`done: ${spec.job.label} (${o.seconds.toFixed(0)} s)${acc ? `: ${acc}` : ""}`);
      },
    });
    terminal.stop();
    await finishCompare(config, outcomes, workers, out, (l) => terminal.log(l), started);
    return 0;
  } finally {
    terminal.stop();
    release();
  }
}

/** "5 epochs each", or each method's epochs × batch size where methods set different ones. */
function epochsLine(c: CompareConfig): string {
  const schedules = c.methods.map((m) => methodSchedule(c, m));
  const same = schedules.every((s) => s.epochs === schedules[0].epochs && s.batchSize === schedules[0].batchSize);
  return same ? `${schedules[0]?.epochs ?? c.base.epochs} epochs each` : `epochs × batch size: ${describeSchedules(c)}`;
}
