/**
 * The quantize-on-eval plugin: on every evaluation (`ff.evaluate`, or at epoch end inside
 * `model.fit` with `ff.callbacks({validationData})`), one extra row per bit-width, computed with
 * the model's compiled loss and metrics while its weights are quantized.
 */
import "reflect-metadata";
import type * as tf from "@tensorflow/tfjs";
import { inject, injectable } from "tsyringe";
import { Logger, PLUGIN_OPTIONS, type EvalContext, type FlatfitHooks, type FlatfitPlugin } from "@flatfit/core";
import { findFoldablePairs } from "./fold";
import { applyQuantization } from "./evaluate";
import { quantizeOnEvalPluginOptions, type QuantizeOnEvalOptions } from "./options";
import { withSwappedWeights } from "./weights";
import { quantizedSize } from "./save";

@injectable()
export class QuantizeOnEval implements FlatfitPlugin {
  static readonly id = "quantize-on-eval";
  static readonly coreApi = "^1";
  static readonly options = quantizeOnEvalPluginOptions;

  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: QuantizeOnEvalOptions,
    private readonly logger: Logger,
  ) {}

  apply(hooks: FlatfitHooks): void {
    hooks.eval.tapPromise(QuantizeOnEval.id, (ctx) => this.evaluateVariants(ctx));
  }

  private readonly sizeLogged = new Set<string>();

  /** Once per variant: the size of the model saved in tfjs's format at these bits (saveQuantized writes it). */
  private logSize(model: tf.LayersModel, bits: 8 | 16, variant: string): void {
    if (this.sizeLogged.has(variant)) return;
    this.sizeLogged.add(variant);
    const { weights, floatWeights } = quantizedSize(model, bits);
    this.logger.info(
      `quantize-on-eval: ${variant} is tfjs's converter quantization (uint${bits}): weights file ${weights} bytes (float32 ${floatWeights}); ` +
        `saveQuantized(model, handler, {bits: ${bits}}) writes it, loadable with plain tf.loadLayersModel`,
    );
  }

  private async evaluateVariants(ctx: EvalContext): Promise<void> {
    const { bits, suffix } = this.options;
    if (this.options.foldBatchNorm) {
      for (const why of findFoldablePairs(ctx.model).skipped) this.logger.warnOnce(`quantize-on-eval: BatchNorm not folded: ${why}`);
    }
    for (const b of bits) {
      let quantized: string[] = [];
      const result = await withSwappedWeights(
        (swap) => (quantized = applyQuantization(ctx.model, { ...this.options, bits: b }, swap)),
        () => ctx.evaluate(),
      );
      if (quantized.length === 0) {
        this.logger.warnOnce(`quantize-on-eval: targets ${JSON.stringify(this.options.targets)} match no weight of the model; the ${b}-bit rows equal the float model`);
      }
      ctx.rows.push({ variant: `${b}bit${suffix}`, bits: b, loss: result.loss, metrics: result.metrics });
      if (this.options.preset === "tfjs-converter") this.logSize(ctx.model, b as 8 | 16, `${b}bit${suffix}`);
    }
  }
}
