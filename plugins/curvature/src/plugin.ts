/**
 * The curvature plugin: at the end of every n-th epoch of `model.fit`, the Hessian trace
 * (Hutchinson), its standard error, and the dominant Hessian eigenvalue (power iteration) of the
 * model's loss on the validation data given to `ff.callbacks({validationData})`, written to the
 * epoch logs (History, loggers, early stopping see them). Runs outside the training steps.
 * With "pacGen" in `measures`, also PertOPT's PAC-Bayes metric (`pacgen`, `pacgen_rho`), whose
 * smoothed squared gradients it keeps from every step's final gradient (an `afterStep` tap).
 */
import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import * as tf from "@tensorflow/tfjs";
import { Logger, PLUGIN_OPTIONS, RandomSource, type EpochContext, type FlatfitHooks, type FlatfitPlugin, type StepContext } from "@flatfit/core";
import { modelVariables, SecondMomentEstimate } from "@flatfit/metrics";
import { measureCurvature } from "./measure";
import { curvatureOptions, type CurvatureOptions } from "./options";

@injectable()
export class Curvature implements FlatfitPlugin {
  static readonly id = "curvature";
  static readonly coreApi = "^1";
  static readonly options = curvatureOptions;
  /** Probe seeds come from a stream of their own, so measuring does not shift the draws training plugins make. */
  private readonly random: RandomSource;
  /** pacGen's h: Adam's second moment of the steps' final gradients (with "pacGen" in measures). */
  private secondMoment?: SecondMomentEstimate;
  /** The variable names `secondMoment` tracks, in order. */
  private momentNames: string[] = [];

  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: CurvatureOptions,
    random: RandomSource,
    private readonly logger: Logger,
  ) {
    this.random = new RandomSource((random.seed ^ 0x2c1b3c6d) >>> 0);
  }

  /** Epoch-log keys this plugin writes. */
  get keys(): { trace: string; traceStdError: string; traceRejected: string; maxEigenvalue: string; pacGen: string; pacGenRho: string } {
    const p = this.options.prefix;
    const g = this.options.pacGen.key;
    return { trace: `${p}trace`, traceStdError: `${p}trace_se`, traceRejected: `${p}trace_rejected`, maxEigenvalue: `${p}max_eig`, pacGen: g, pacGenRho: `${g}_rho` };
  }

  apply(hooks: FlatfitHooks): void {
    hooks.epochEnd.tapPromise(Curvature.id, (ctx) => this.onEpochEnd(ctx));
    if (this.options.measures.includes("pacGen")) hooks.afterStep.tap(Curvature.id, (ctx) => this.afterStep(ctx));
  }

  /** Steps whose gradients pacGen's h has seen. */
  get pacGenSteps(): number {
    return this.secondMoment?.steps ?? 0;
  }

  dispose(): void {
    this.secondMoment?.dispose();
    this.secondMoment = undefined;
  }

  /** h ← β·h + (1 − β)·g² with the step's final gradient (what the optimizer applies, as Adam's v). No host reads. */
  private afterStep(ctx: StepContext): void {
    const grads = ctx.result?.grads;
    if (!grads) return;
    const names = ctx.variables.map((v) => v.name).filter((n) => grads[n] !== undefined);
    if (this.secondMoment && (names.length !== this.momentNames.length || names.some((n, j) => n !== this.momentNames[j]))) {
      this.logger.warnOnce("curvature: the trained variables changed; pacGen's smoothed squared gradients start over");
      this.secondMoment.dispose();
      this.secondMoment = undefined;
    }
    if (!this.secondMoment) {
      this.secondMoment = new SecondMomentEstimate(this.options.pacGen.beta);
      this.momentNames = names;
    }
    this.secondMoment.update(names.map((n) => grads[n]));
  }

  /** h for the model's trainable weights in order, or undefined (then pacGen uses g² on the data). */
  private secondMomentFor(model: tf.LayersModel): tf.Tensor[] | undefined {
    if (!this.secondMoment || this.secondMoment.steps === 0) return undefined;
    const names = modelVariables(model).map((v) => v.name);
    const at = new Map(this.momentNames.map((n, j) => [n, j] as const));
    if (names.some((n) => !at.has(n))) {
      this.logger.warnOnce("curvature: pacGen has no smoothed squared gradients for some trainable weights; using g² on the measured data");
      return undefined;
    }
    const h = this.secondMoment.value();
    const out = names.map((n) => h[at.get(n)!]);
    tf.dispose(h.filter((x) => !out.includes(x)));
    return out;
  }

  private async onEpochEnd(ctx: EpochContext): Promise<void> {
    const { measures, every, rejectKinks } = this.options;
    const keys = this.keys;
    const wanted = [
      ...(measures.includes("trace") ? [keys.trace, keys.traceStdError, ...(rejectKinks ? [keys.traceRejected] : [])] : []),
      ...(measures.includes("maxEigenvalue") ? [keys.maxEigenvalue] : []),
      ...(measures.includes("pacGen") ? [keys.pacGen, keys.pacGenRho] : []),
    ];
    const data = ctx.validationData;
    if (!data) {
      this.logger.warnOnce("curvature: no data to measure on; pass ff.callbacks({ validationData: [x, y] }) to model.fit");
      return;
    }
    if ((ctx.epoch + 1) % every !== 0) {
      for (const k of wanted) ctx.logs[k] = NaN; // keeps History's arrays aligned with epochs
      return;
    }
    const seeds: { trace: number; eigen: number; pacGen?: number } = this.options.seed !== undefined
      ? { trace: this.options.seed, eigen: this.options.seed + 1 }
      : { trace: this.random.nextSeed(), eigen: this.random.nextSeed() };
    if (measures.includes("pacGen")) seeds.pacGen = this.options.seed !== undefined ? this.options.seed + 2 : this.random.nextSeed();
    const started = Date.now();
    const h = measures.includes("pacGen") ? this.secondMomentFor(ctx.model) : undefined;
    let f;
    try {
      f = await measureCurvature(ctx.model, data[0], data[1], this.options, seeds, h);
    } finally {
      if (h) tf.dispose(h);
    }
    if (f.trace !== undefined) {
      ctx.logs[keys.trace] = f.trace;
      ctx.logs[keys.traceStdError] = f.traceStdError!;
      if (f.traceRejected !== undefined) ctx.logs[keys.traceRejected] = f.traceRejected;
    }
    if (f.maxEigenvalue !== undefined) ctx.logs[keys.maxEigenvalue] = f.maxEigenvalue;
    if (f.pacGen !== undefined) {
      ctx.logs[keys.pacGen] = f.pacGen;
      ctx.logs[keys.pacGenRho] = f.pacGenRho!;
    }
    this.logger.debug(
      `curvature (epoch ${ctx.epoch + 1}): ${wanted.map((k) => `${k}=${ctx.logs[k]}`).join(" ")}` +
        (f.iterations !== undefined ? ` (${f.iterations} power iterations)` : "") +
        ` in ${Date.now() - started} ms`,
    );
  }
}
