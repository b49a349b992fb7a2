#!/usr/bin/env node
/**
 * flatfit — train, compare and sweep tfjs training methods from config files.
 *   flatfit train   --config run.yaml     [--out runs/NAME] [--epochs N] [--quiet]
 *   flatfit train   --resume runs/NAME    [--epochs N] [--config run.yaml] [--quiet]
 *   flatfit compare --config compare.yaml [--out DIR] [--workers N] [--quiet]
 *   flatfit sweep   --config grid.yaml    [--out DIR] [--workers N] [--quiet]
 *   flatfit quantize --model <run dir | model dir> --bits 8|16 [--out DIR] [--config run.yaml]
 *   flatfit sweep|compare … --queue redis://… [--detach]   # trials as jobs for workers on any machine
 *   flatfit worker  --queue redis://… [--concurrency N] [--artifacts DIR] [--allow-plugin-paths]
 *   flatfit status  --queue redis://… [--name NAME]
 *   flatfit schema  train|compare|sweep
 *   flatfit new plugin <id> [--dir DIR] [--name NAME]
 * Exit codes: 0 done, 1 failed, 2 bad config or arguments, 130 interrupted.
 */
import "reflect-metadata";
import { Command, InvalidArgumentError, Option } from "commander";
import { FlatfitConfigError } from "@flatfit/core";
import { compareCommand } from "./commands/compare";
import { newCommand } from "./commands/new";
import { quantizeCommand } from "./commands/quantize";
import { sweepCommand } from "./commands/sweep";
import { redact } from "./queue/connection";
import type { StatusOptions } from "./queue/status";
import type { WorkerOptions } from "./queue/worker";
import { trainCommand, UsageError } from "./commands/train";
import { cliJsonSchema, type ConfigKind } from "./config/json-schema";

const { version } = require("../../package.json") as { version: string };

// `flatfit … | head`: a closed pipe ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
  });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected an integer ≥ 1");
  return n;
}

/** Runs a command and turns its result or error into an exit code. */
function action<T>(run: (opts: T) => Promise<number>): (opts: T) => Promise<void> {
  return async (opts) => {
    try {
      process.exitCode = await run(opts);
    } catch (err) {
      if (err instanceof FlatfitConfigError) {
        process.stderr.write(`${redact(err.message)}\n`);
        process.exitCode = 2;
      } else if (err instanceof UsageError) {
        process.stderr.write(`flatfit ${redact(err.message)}\n`);
        process.exitCode = 2;
      } else {
        const e = err as Error;
        process.stderr.write(`flatfit: ${redact(process.env.FLATFIT_DEBUG ? (e?.stack ?? String(err)) : (e?.message ?? String(err)))}\n`);
        process.exitCode = 1;
      }
    }
  };
}

const program = new Command("flatfit")
  .description("Train tfjs models through flatfit plugins from config files: single runs, method comparisons with an HTML report, parallel sweeps")
  .version(version)
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

const config = () => new Option("-c, --config <file>", "config file (.yaml, .yml or .json)").makeOptionMandatory();
const quiet = () => new Option("-q, --quiet", "no progress bars: one line per epoch");
const queue = () => new Option("--queue <url>", "run the trials on a Redis job queue: redis://[:password@]host:port[/db] or rediss://… (default: $FLATFIT_QUEUE; neither: in this process)");
const detach = () => new Option("--detach", "with --queue: enqueue the trials and return");
const workers = () => new Option("-w, --workers <n>", "parallel trainings in worker threads").argParser(positiveInt);

program
  .command("train")
  .description("train one model from a config, or continue a run (--resume); writes a run directory (history, evaluation, model, resume point)")
  .option("-c, --config <file>", "config file (.yaml, .yml or .json); with --resume, checked against the run's config")
  .option("-o, --out <dir>", "run directory (default: runs/<name>-<date>-<time>)")
  .option("-r, --resume <dir>", "continue the run in this directory from its last complete epoch")
  .addOption(new Option("-e, --epochs <n>", "train to this many epochs (overrides the config's)").argParser(positiveInt))
  .addOption(quiet())
  .action(action(trainCommand));

program
  .command("compare")
  .description("train every method with every seed; print the table and write report.html")
  .addOption(config())
  .option("-o, --out <dir>", "output folder (default: runs/<name>)")
  .addOption(workers())
  .addOption(quiet())
  .addOption(queue())
  .addOption(detach())
  .action(action(compareCommand));

program
  .command("sweep")
  .description("run a grid over config values in worker threads; resumable; ranks the trials")
  .addOption(config())
  .option("-o, --out <dir>", "output folder (default: runs/<name>)")
  .addOption(workers().default(undefined, "one per core"))
  .addOption(quiet())
  .addOption(queue())
  .addOption(detach())
  .action(action(sweepCommand));

program
  .command("worker")
  .description("take trials from a Redis job queue and train them (until Ctrl-C, which returns the running trials to the queue)")
  .addOption(queue())
  .addOption(new Option("--concurrency <n>", "trials at a time, each in its own thread").argParser(positiveInt).default(1))
  .option("--artifacts <dir>", "save each trial's run directory (model included) in DIR/<trial id> (default: models are not kept)")
  .option("--allow-plugin-paths", "load plugins and model modules that a job gives by path (default: only built-in ids and installed packages)")
  .addOption(new Option("--stalled-after <seconds>", "a trial whose worker has not renewed its lock for this long is handed to another worker").argParser(positiveInt).default(30))
  .action(action(async (o: WorkerOptions) => (await import("./queue/worker")).workerCommand(o)));

program
  .command("status")
  .description("where the sweeps and comparisons on a Redis job queue stand; with --name, each trial and the table so far")
  .addOption(queue())
  .option("-n, --name <name>", "the sweep's or comparison's name (its config's name, or the config file's name)")
  .action(action(async (o: StatusOptions) => (await import("./queue/status")).statusCommand(o)));

program
  .command("quantize")
  .description("save a trained model quantized to uint8/uint16 in tfjs's weights format (as tensorflowjs_converter); prints its size and test accuracy beside the float32 model's and the simulated variant's")
  .option("-m, --model <path>", "a run directory of flatfit train, a folder with model.json, or a model.json")
  .option("-b, --bits <n>", "8 (uint8) or 16 (uint16)")
  .option("-p, --preset <name>", "quantization preset: tfjs-converter (the only one tf.loadLayersModel reads back)", "tfjs-converter")
  .option("-o, --out <dir>", "folder to write, new or empty (default: <run dir>/model-uint8, or <model dir>-uint8)")
  .option("-c, --config <file>", "train config (or a run's config.resolved.json) whose test data the accuracy is measured on (default: a run directory's own)")
  .addOption(new Option("--batch-size <n>", "evaluation batch size (default: the config's evaluate.batchSize, 256)").argParser(positiveInt))
  .action(action(quantizeCommand));

program
  .command("schema")
  .description("print the JSON Schema of a config file")
  .argument("[kind]", "train, compare or sweep", "train")
  .action(async (kind: string) => {
    if (!["train", "compare", "sweep"].includes(kind)) program.error(`schema: unknown kind "${kind}" (train, compare, sweep)`);
    process.stdout.write(JSON.stringify(cliJsonSchema(kind as ConfigKind), null, 2) + "\n");
  });

program
  .command("new")
  .description("write a new plugin package: TS config, a plugin class, a fit-contract test, a README")
  .argument("<kind>", "what to create: plugin")
  .argument("<id>", "the plugin's id, e.g. my-method (package flatfit-plugin-<id>)")
  .option("-d, --dir <dir>", "folder to write, new or empty (default: ./flatfit-plugin-<id>)")
  .option("-n, --name <name>", "package name (default: flatfit-plugin-<id>)")
  .action(async (kind: string, id: string, opts: { dir?: string; name?: string }) => action(() => newCommand(kind, id, opts))(undefined));

program.parseAsync(process.argv).catch((err) => {
  process.stderr.write(`flatfit: ${redact((err as Error).message)}\n`);
  process.exitCode = 1;
});
