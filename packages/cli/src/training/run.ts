/**
 * One training run, as `train` runs it and as compare/sweep run each method, seed or trial:
 * flatfit from the config's plugins, the data, the model compiled with the wrapped optimizer,
 * `model.fit` with the run's callbacks, then the measurements on the test data.
 */
import * as tf from "@tensorflow/tfjs";
import { installBackendExtras } from "@flatfit/backends";
import { createFlatfit, type EvalRow, type LogSink } from "@flatfit/core";
import { toTensors } from "@flatfit/data";
import type { LandscapeGrid } from "@flatfit/report";
import type { TrainConfig } from "../config/schema";
import { loadRunData, type DataInfo, type RunData } from "../data";
import type { Interrupt } from "../interrupt";
import { createModel } from "../model-source";
import { createOptimizer } from "../optimizer";
import type { ProgressSink } from "../progress";
import { withSeededMathRandom } from "../seeded-random";
import { EpochTimer, Recorder, type EpochLogs } from "./callbacks";
import { evaluateRun, measureLandscape, measureTrace } from "./measure";
import { EpochTraceCallback, type TraceRecord } from "./trace";

export interface TrainJob {
  config: TrainConfig;
  /** Folder that relative paths of the config (model, csv, plugins) resolve from. */
  baseDir: string;
  /** Names the run in progress output ("" for a single run). */
  label: string;
}

export interface TrainOutcome {
  status: "completed" | "interrupted";
  /** Epoch logs of the completed epochs (loss, acc, val_loss, val_acc, and what plugins log). */
  history: EpochLogs[];
  /** The epoch an interrupt cut short: batches done and its logs so far. */
  partialEpoch?: { epoch: number; batches: number; logs: EpochLogs };
  secondsPerEpoch: number[];
  /** `ff.evaluate` rows on the test data (absent when interrupted). */
  evaluation?: EvalRow[];
  hessianTrace?: TraceRecord;
  landscape?: LandscapeGrid;
  data: DataInfo;
  plugins: string[];
  backend: string;
  /** Wall time of the whole run. */
  seconds: number;
}

export interface RunEnv {
  progress?: ProgressSink;
  interrupt?: Interrupt;
  /** Where flatfit's log lines go (default: dropped below warnings, else stderr). */
  logSink?: LogSink;
}

export interface RunResult {
  outcome: TrainOutcome;
  /** The trained model: the caller saves it and calls `disposeModel`. */
  model: tf.LayersModel;
  /** With label noise: the training labels before and after. */
  labels?: RunData["labels"];
}

const defaultSink: LogSink = (level, message) => {
  if (level === "error" || level === "warn") process.stderr.write(`[flatfit] ${message}\n`);
};

/** Frees a run's model and its (wrapped) optimizer. */
export function disposeModel(model: tf.LayersModel): void {
  model.optimizer?.dispose();
  model.dispose();
}

export async function runTraining(job: TrainJob, env: RunEnv = {}): Promise<RunResult> {
  const c = job.config;
  const started = performance.now();
  return withSeededMathRandom(c.seed, async () => {
    const ff = await createFlatfit({ seed: c.seed, plugins: c.plugins, backend: c.backend, logLevel: c.logLevel }, { cwd: job.baseDir, logSink: env.logSink ?? defaultSink });
    installBackendExtras(); // faster or missing training kernels for cpu and wasm; once per process
    const data = loadRunData(c.data, job.baseDir, c.seed, c.validationSplit);
    const train = toTensors(data.train);
    const test = toTensors(data.test);
    const validation = data.validation ? toTensors(data.validation) : test;
    let model: tf.LayersModel | undefined;
    try {
      model = await createModel(c.model, data.train.shape, data.train.classes, c.seed, job.baseDir);
      model.compile({ optimizer: ff.wrap(createOptimizer(c.optimizer)), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
      const batches = Math.ceil(data.info.train / c.batchSize);
      const timer = new EpochTimer();
      const recorder = new Recorder(job.label, c.epochs, batches, timer, env.progress);
      const callbacks: tf.Callback[] = [timer, ff.callbacks({ validationData: [validation.x, validation.y] }) as tf.Callback];
      if (c.curvature && c.curvature.perEpoch > 0) callbacks.push(new EpochTraceCallback(validation, { ...c.curvature, samples: c.curvature.perEpoch }));
      callbacks.push(recorder);
      if (env.interrupt) callbacks.push(env.interrupt.callback());
      await model.fit(train.x, train.y, { epochs: c.epochs, batchSize: c.batchSize, shuffle: true, verbose: 0, validationData: [validation.x, validation.y], callbacks });

      const interrupted = env.interrupt?.requested === true;
      const outcome: TrainOutcome = {
        status: interrupted ? "interrupted" : "completed",
        history: recorder.history,
        ...(recorder.partialEpoch ? { partialEpoch: recorder.partialEpoch } : {}),
        secondsPerEpoch: recorder.secondsPerEpoch,
        data: data.info,
        plugins: ff.pluginIds,
        backend: tf.getBackend(),
        seconds: 0,
      };
      if (!interrupted) {
        outcome.evaluation = await evaluateRun(ff, model, test, c.evaluate);
        if (c.curvature) outcome.hessianTrace = await measureTrace(model, test, c.curvature);
        if (c.landscape) outcome.landscape = await measureLandscape(model, test, c.landscape);
      }
      outcome.seconds = (performance.now() - started) / 1000;
      return { outcome, model, labels: data.labels };
    } catch (err) {
      if (model) disposeModel(model);
      throw err;
    } finally {
      tf.dispose([train.x, train.y, test.x, test.y, validation.x, validation.y]);
      ff.dispose();
    }
  });
}
