/**
 * `flatfit train --config run.yaml [--out runs/NAME] [--epochs N] [--quiet]`: one training run from
 * a config, with a progress bar per epoch; writes the run directory (see run-dir.ts) and, after
 * every complete epoch, its resume point (checkpoint/). Ctrl-C stops after the current batch and
 * still writes the run directory (status "interrupted", exit code 130).
 *
 * `flatfit train --resume <run dir> [--epochs N] [--config run.yaml]`: continues that run from its
 * last complete epoch to its configured epochs (or N), in the same directory; the history goes on
 * where it stopped. The weights at the end are those of the uninterrupted run, bit for bit (same
 * backend): model, optimizer and flatfit's state come from the checkpoint, the data order from
 * (seed, epoch) alone (see training/epoch-order.ts).
 */
import { describeSetup, quantizationSetups } from "../config/evaluate";
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { loadTrainConfig } from "../config/load";
import { configDifferences, resolveRunConfig } from "../config/resolve";
import type { TrainConfig } from "../config/schema";
import { Interrupt } from "../interrupt";
import { describeModel } from "../model-source";
import { describeOptimizer } from "../optimizer";
import { fmt, TerminalProgress } from "../progress";
import { CHECKPOINT, clearCheckpoint, readCheckpoint, RESOLVED_CONFIG, writeCheckpoint, writeJsonAtomic, writeResolvedConfig, writeRunDir } from "../run-dir";
import { formatTable } from "../table";
import { disposeModel, runTraining, type ResumeFrom, type RunEnv, type TrainOutcome } from "../training/run";
import { backendLine, defaultOutDir, logSinkTo, onExit } from "./common";

export interface TrainOptions {
  /** The config file (with `resume`: optional, checked against the run's own config). */
  config?: string;
  out?: string;
  /** Train to this many epochs instead of the config's. */
  epochs?: number;
  /** A run directory of `flatfit train` to continue. */
  resume?: string;
  quiet?: boolean;
}

/** A wrong command line (exit code 2, like a bad config). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Fields that may differ between a run and the config given with `--resume`: they do not change the training. */
const MAY_DIFFER = ["epochs", "name", "logLevel"];

interface Prepared {
  config: TrainConfig;
  /** The config file shown in messages. */
  file: string;
  out: string;
  /** Where relative package lookups start (every path in a resolved config is absolute). */
  baseDir: string;
  resume?: ResumeFrom;
}

async function prepareNew(opts: TrainOptions): Promise<Prepared> {
  if (!opts.config) throw new UsageError("train: give a config file (--config run.yaml), or a run directory to continue (--resume runs/NAME)");
  const loaded = await loadTrainConfig(opts.config);
  const config = resolveRunConfig(loaded.config, loaded.dir, loaded.file);
  if (opts.epochs !== undefined) config.epochs = opts.epochs;
  const out = path.resolve(opts.out ?? defaultOutDir(config.name, loaded.file, true));
  clearCheckpoint(out);
  return { config, file: loaded.file, out, baseDir: loaded.dir };
}

async function prepareResume(dirArg: string, opts: TrainOptions): Promise<Prepared> {
  if (opts.out !== undefined) throw new UsageError("train --resume continues in the run directory itself; leave out --out");
  const out = path.resolve(dirArg);
  if (!existsSync(out) || !statSync(out).isDirectory()) throw new UsageError(`train --resume ${dirArg}: no such directory`);
  const configFile = path.join(out, RESOLVED_CONFIG);
  if (!existsSync(configFile)) throw new UsageError(`train --resume ${dirArg}: no ${RESOLVED_CONFIG} there — not a run directory written by flatfit train`);
  const checkpoint = readCheckpoint(out);
  if (!checkpoint) {
    throw new UsageError(
      `train --resume ${dirArg}: no saved model to continue from (${CHECKPOINT}/model.json with its optimizer is missing). ` +
        `flatfit train saves it at the end of every complete epoch: this run stopped before its first epoch ended, or was written by compare, sweep or an older flatfit`,
    );
  }
  const run = await loadTrainConfig(configFile);
  const runConfig = resolveRunConfig(run.config, run.dir);
  let target = runConfig.epochs;
  if (opts.config) {
    const given = await loadTrainConfig(opts.config);
    const config = resolveRunConfig(given.config, given.dir, given.file);
    const diff = configDifferences(config, runConfig, MAY_DIFFER);
    if (diff.length > 0) {
      const lines = diff.map((d) => `  - ${d.field}: ${d.a} in ${given.file}, ${d.b} in the run`);
      throw new UsageError(
        `train --resume ${dirArg}: ${given.file} does not match the config the run was trained with (${configFile}):\n${lines.join("\n")}\n` +
          `Only ${MAY_DIFFER.join(", ")} may differ. Leave out --config to continue with the run's own config, or start a new run.`,
      );
    }
    target = config.epochs;
  }
  if (opts.epochs !== undefined) target = opts.epochs;
  const done = checkpoint.epochsCompleted;
  if (target <= done) {
    const asked = target === runConfig.epochs ? `its ${target} epoch(s) are all done` : `${done} epoch(s) are done and ${target} were asked for`;
    throw new UsageError(`train --resume ${dirArg}: the run already finished: ${asked}. Pass --epochs N with N > ${done} to train further`);
  }
  return { config: { ...runConfig, epochs: target }, file: configFile, out, baseDir: out, resume: checkpoint };
}

function plan(c: TrainConfig): string {
  const plugins = c.plugins.map((p) => p.use).join(" + ") || "none (plain optimizer)";
  const quantized = quantizationSetups(c.evaluate).map((q) => `${q.name ? `${q.name}: ` : ""}${q.options.bits.join(", ")} bits (${describeSetup(q.options)})`);
  const evaluation = quantized.length ? `; quantized evaluation${c.evaluate.perEpoch ? " (also per epoch)" : ""}: ${quantized.join("; ")}` : "";
  return `model ${describeModel(c.model)}; optimizer ${describeOptimizer(c.optimizer)}; plugins: ${plugins}; ${c.epochs} epochs of batch ${c.batchSize}; seed ${c.seed}${evaluation}`;
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
  const { config, file, out, baseDir, resume } = opts.resume !== undefined ? await prepareResume(opts.resume, opts) : await prepareNew(opts);
  writeResolvedConfig(out, config);
  const terminal = new TerminalProgress(!opts.quiet);
  if (resume) terminal.log(`flatfit train --resume ${out}: continuing after epoch ${resume.epochsCompleted} of ${config.epochs}; ${plan(config)}`);
  else terminal.log(`flatfit train ${file}: ${plan(config)}`);
  const interrupt = new Interrupt((m) => terminal.log(m)).install();
  const release = onExit(() => terminal.stop());
  try {
    const env: RunEnv = {
      progress: terminal.sink,
      interrupt,
      logSink: logSinkTo((l) => terminal.log(l), "info"),
      onEpochComplete: (model, point) => writeCheckpoint(out, model, point),
    };
    const run = await runTraining({ config, baseDir, label: "", resume }, env).catch((err: Error) => {
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
      if (o.history.length > 0) terminal.log(`continue with: flatfit train --resume ${out}`);
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
