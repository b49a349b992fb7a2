/**
 * The curvature plugin: at the end of every n-th epoch of `model.fit`, the Hessian trace
 * (Hutchinson), its standard error, and the dominant Hessian eigenvalue (power iteration) of the
 * model's loss on the validation data given to `ff.callbacks({validationData})`, written to the
 * epoch logs (History, loggers, early stopping see them). Runs outside the training steps.
 */
import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { Logger, PLUGIN_OPTIONS, RandomSource, type EpochContext, type FlatfitHooks, type FlatfitPlugin } from "@flatfit/core";
import { measureCurvature } from "./measure";
import { curvatureOptions, type CurvatureOptions } from "./options";

@injectable()
export class Curvature implements FlatfitPlugin {
  static readonly id = "curvature";
  static readonly coreApi = "^1";
  static readonly options = curvatureOptions;
  /** Probe seeds come from a stream of their own, so measuring does not shift the draws training plugins make. */
  private readonly random: RandomSource;

  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: CurvatureOptions,
    random: RandomSource,
    private readonly logger: Logger,
  ) {
    this.random = new RandomSource((random.seed ^ 0x2c1b3c6d) >>> 0);
  }

  /** Epoch-log keys this plugin writes. */
  get keys(): { trace: string; traceStdError: string; traceRejected: string; maxEigenvalue: string } {
    const p = this.options.prefix;
    return { trace: `${p}trace`, traceStdError: `${p}trace_se`, traceRejected: `${p}trace_rejected`, maxEigenvalue: `${p}max_eig` };
  }

  apply(hooks: FlatfitHooks): void {
    hooks.epochEnd.tapPromise(Curvature.id, (ctx) => this.onEpochEnd(ctx));
  }

  private async onEpochEnd(ctx: EpochContext): Promise<void> {
    const { measures, every, rejectKinks } = this.options;
    const keys = this.keys;
    const wanted = [
      ...(measures.includes("trace") ? [keys.trace, keys.traceStdError, ...(rejectKinks ? [keys.traceRejected] : [])] : []),
      ...(measures.includes("maxEigenvalue") ? [keys.maxEigenvalue] : []),
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
    const seeds = this.options.seed !== undefined
      ? { trace: this.options.seed, eigen: this.options.seed + 1 }
      : { trace: this.random.nextSeed(), eigen: this.random.nextSeed() };
    const started = Date.now();
    const f = await measureCurvature(ctx.model, data[0], data[1], this.options, seeds);
    if (f.trace !== undefined) {
      ctx.logs[keys.trace] = f.trace;
      ctx.logs[keys.traceStdError] = f.traceStdError!;
      if (f.traceRejected !== undefined) ctx.logs[keys.traceRejected] = f.traceRejected;
    }
    if (f.maxEigenvalue !== undefined) ctx.logs[keys.maxEigenvalue] = f.maxEigenvalue;
    this.logger.debug(
      `curvature (epoch ${ctx.epoch + 1}): ${wanted.map((k) => `${k}=${ctx.logs[k]}`).join(" ")}` +
        (f.iterations !== undefined ? ` (${f.iterations} power iterations)` : "") +
        ` in ${Date.now() - started} ms`,
    );
  }
}
