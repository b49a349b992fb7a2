/**
 * `flatfit train --config run.yaml [--out runs/NAME] [--quiet]`: one training run from a config,
 * with a progress bar per epoch; writes the run directory (see run-dir.ts). Ctrl-C stops after
 * the current batch and still writes the run directory (status "interrupted", exit code 130).
 */
import * as path from "node:path";
import { loadTrainConfig } from "../config/load";
import type { TrainConfig } from "../config/schema";
import { Interrupt } from "../interrupt";
import { describeModel } from "../model-source";
import { describeOptimizer } from "../optimizer";
import { fmt, TerminalProgress } from "../progress";
import { writeJsonAtomic, writeResolvedConfig, writeRunDir } from "../run-dir";
import { formatTable } from "../table";
import { disposeModel, runTraining, type TrainOutcome } from "../training/run";
import { backendLine, defaultOutDir, logSinkTo, onExit } from "./common";

export interface TrainOptions {
  config: string;
  out?: string;
  quiet?: boolean;
}

function plan(c: TrainConfig): string {
  const plugins = c.plugins.map((p) => p.use).join(" + ") || "none (plain optimizer)";
  return `model ${describeModel(c.model)}; optimizer ${describeOptimizer(c.optimizer)}; plugins: ${plugins}; ${c.epochs} epochs of batch ${c.batchSize}; seed ${c.seed}`;
}

function results(o: TrainOutcome): string[] {
  const lines: string[] = [];
  if (o.evaluation) {
    const metrics = [...new Set(o.evaluation.flatMap((r) => Object.keys(r.metrics)))];
    const rows = o.evaluation.map((r) => [r.variant, fmt(r.loss), ...metrics.map((m) => (r.metrics[m] === undefined ? "–" : fmt(r.metrics[m])))]);
    lines.push("test data:", formatTable(["variant", "loss", ...metrics], rows));
  }
  if (o.hessianTrace) lines.push(`Hessian trace (test, ${o.hessianTrace.maxSamples} examples, ${o.hessianTrace.samples} probes): ${fmt(o.hessianTrace.value)} ± ${fmt(o.hessianTrace.stdError)}`);
  return lines;
}

/** Runs the command; resolves with the exit code (0, or 130 after an interrupt). */
export async function trainCommand(opts: TrainOptions): Promise<number> {
  const { config, dir, file } = await loadTrainConfig(opts.config);
  const out = path.resolve(opts.out ?? defaultOutDir(config.name, file, true));
  writeResolvedConfig(out, config);
  const terminal = new TerminalProgress(!opts.quiet);
  terminal.log(`flatfit train ${file}: ${plan(config)}`);
  const interrupt = new Interrupt((m) => terminal.log(m)).install();
  const release = onExit(() => terminal.stop());
  try {
    const run = await runTraining({ config, baseDir: dir, label: "" }, { progress: terminal.sink, interrupt, logSink: logSinkTo((l) => terminal.log(l), "info") }).catch((err: Error) => {
      writeJsonAtomic(path.join(out, "summary.json"), { status: "failed", error: err?.message ?? String(err), finishedAt: new Date().toISOString() });
      throw err;
    });
    terminal.stop();
    try {
      await writeRunDir(out, config, run);
    } finally {
      disposeModel(run.model);
    }
    const o = run.outcome;
    if (o.status === "interrupted") {
      terminal.log(`interrupted after ${o.history.length} complete epoch(s)${o.partialEpoch ? ` and ${o.partialEpoch.batches} batch(es) of epoch ${o.partialEpoch.epoch + 1}` : ""}; history and model so far written`);
    } else {
      for (const line of results(o)) terminal.log(line);
    }
    terminal.log(`data: ${o.data.description}`);
    terminal.log(`${backendLine()}; ${o.seconds.toFixed(1)} s`);
    terminal.log(`run directory: ${out}`);
    return o.status === "interrupted" ? 130 : 0;
  } finally {
    terminal.stop();
    interrupt.uninstall();
    release();
  }
}
