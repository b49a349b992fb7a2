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
import { quantizationPlugins } from "../config/evaluate";
import type { TrainConfig } from "../config/schema";
import { loadRunData, type DataInfo, type RunData } from "../data";
import type { Interrupt } from "../interrupt";
import { loadModelDir } from "../model-io";
import { createModel } from "../model-source";
import { createOptimizer } from "../optimizer";
import type { ProgressSink } from "../progress";
import { withSeededMathRandom } from "../seeded-random";
import { EpochTimer, Recorder, type EpochLogs } from "./callbacks";
import { EpochSeeding, orderAfter } from "./epoch-order";
import { evaluateRun, evaluateSplit, measureLandscape, measureTrace } from "./measure";
import { EpochTraceCallback, type TraceRecord } from "./trace";

export interface TrainJob {
  config: TrainConfig;
  /** Folder that relative paths of the config (model, csv, plugins) resolve from. */
  baseDir: string;
  /** Names the run in progress output ("" for a single run). */
  label: string;
  /** Continue a run from a saved epoch instead of starting from the config's model. */
  resume?: ResumeFrom;
}

/** Where a run stands once an epoch is complete: what a resume point records. */
export interface EpochPoint {
  epochsCompleted: number;
  /** Epoch logs of the completed epochs. */
  history: EpochLogs[];
  secondsPerEpoch: number[];
}

export interface ResumeFrom extends EpochPoint {
  /** Folder of the model saved at the end of epoch `epochsCompleted`, with its optimizer (and flatfit's state in it). */
  modelDir: string;
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
  /** With `trainLoss`: the final float32 model on the whole training split (absent when interrupted). */
  trainEvaluation?: { loss: number; metrics: Record<string, number> };
  hessianTrace?: TraceRecord;
  landscape?: LandscapeGrid;
  data: DataInfo;
  plugins: string[];
  backend: string;
  /** Wall time of the whole run (of this process's part, when resumed). */
  seconds: number;
  /** Set when the run continued from a saved epoch: the epochs that were already done. */
  resumedAfter?: number;
}

export interface RunEnv {
  progress?: ProgressSink;
  interrupt?: Interrupt;
  /** Where flatfit's log lines go (default: dropped below warnings, else stderr). */
  logSink?: LogSink;
  /**
   * Called after every complete epoch (not one an interrupt cut short), once all epoch-end work is
   * done and before the next epoch begins: `flatfit train` saves its resume point here.
   */
  onEpochComplete?: (model: tf.LayersModel, point: EpochPoint) => Promise<void>;
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
    const logSink = env.logSink ?? defaultSink;
    // evaluate.perEpoch: the quantization setups also evaluate after every epoch (epoch logs val_acc@4bit…)
    const plugins = c.evaluate.perEpoch ? [...c.plugins, ...quantizationPlugins(c.evaluate)] : c.plugins;
    const ff = await createFlatfit({ seed: c.seed, plugins, backend: c.backend, logLevel: c.logLevel }, { cwd: job.baseDir, logSink });
    installBackendExtras(); // faster or missing training kernels for cpu and wasm; once per process
    const data = loadRunData(c.data, job.baseDir, c.seed, c.validationSplit);
    let train = toTensors(data.train);
    if (job.resume) {
      // fit's shuffles compose epoch after epoch: start from the order they had made by now (see epoch-order.ts)
      const order = tf.tensor1d(orderAfter(data.info.train, c.seed, job.resume.epochsCompleted), "int32");
      const resumed = { x: tf.gather(train.x, order), y: tf.gather(train.y, order) as tf.Tensor2D };
      tf.dispose([order, train.x, train.y]);
      train = resumed;
    }
    const test = toTensors(data.test);
    const validation = data.validation ? toTensors(data.validation) : test;
    let model: tf.LayersModel | undefined;
    try {
      // A saved model comes with its optimizer (weights and iteration count); wrapping it hands flatfit
      // the state saved in its config: plugin state, step count, random stream.
      model = job.resume ? await loadModelDir(job.resume.modelDir) : await createModel(c.model, data.train.shape, data.train.classes, c.seed, job.baseDir);
      const inner = job.resume ? model.optimizer : createOptimizer(c.optimizer);
      if (!inner) throw new Error(`${job.resume?.modelDir}: the saved model has no optimizer to continue with (it was saved without includeOptimizer)`);
      model.compile({ optimizer: ff.wrap(inner), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
      const batches = Math.ceil(data.info.train / c.batchSize);
      const timer = new EpochTimer();
      const recorder = new Recorder(job.label, c.epochs, batches, timer, env.progress, job.resume);
      const callbacks: tf.Callback[] = [timer, ff.callbacks({ validationData: [validation.x, validation.y] }) as tf.Callback];
      if (c.curvature && c.curvature.perEpoch > 0) callbacks.push(new EpochTraceCallback(validation, { ...c.curvature, samples: c.curvature.perEpoch }));
      callbacks.push(recorder);
      const trained = model;
      if (env.onEpochComplete) callbacks.push(new EpochComplete(recorder, (point) => env.onEpochComplete!(trained, point)));
      if (env.interrupt) callbacks.push(env.interrupt.callback());
      callbacks.push(new EpochSeeding(c.seed));
      const initialEpoch = job.resume?.epochsCompleted ?? 0;
      await model.fit(train.x, train.y, { epochs: c.epochs, initialEpoch, batchSize: c.batchSize, shuffle: true, verbose: 0, validationData: [validation.x, validation.y], callbacks });

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
        ...(job.resume ? { resumedAfter: job.resume.epochsCompleted } : {}),
      };
      if (!interrupted) {
        outcome.evaluation = await evaluateRun(ff, model, test, c.evaluate, logSink);
        if (c.trainLoss) outcome.trainEvaluation = await evaluateSplit(model, train, c.evaluate.batchSize);
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

/** Hands every complete epoch's point to `save` (an epoch an interrupt cut short is not one). */
class EpochComplete extends tf.Callback {
  constructor(
    private readonly recorder: Recorder,
    private readonly save: (point: EpochPoint) => Promise<void>,
  ) {
    super();
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    const { history, secondsPerEpoch } = this.recorder;
    if (history.length !== epoch + 1) return;
    await this.save({ epochsCompleted: epoch + 1, history: history.slice(), secondsPerEpoch: secondsPerEpoch.slice() });
  }
}
