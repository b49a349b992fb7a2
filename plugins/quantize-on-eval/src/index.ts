/**
 * @flatfit/plugin-quantize-on-eval — evaluate the model with its weights uniformly quantized to
 * several bit-widths (post-training, simulated in float), one row per bit-width; inside
 * `model.fit` the rows become epoch logs such as `val_acc@4bit`.
 *
 *   const ff = await createFlatfit({ plugins: [{ use: "quantize-on-eval", bits: [8, 4] }] });
 *   const rows = await ff.evaluate(model, xTest, yTest);   // float32, 8bit, 4bit
 *
 * The quantizers and BatchNorm folding are exported for standalone use. `preset: "tfjs-converter"`
 * quantizes as tfjs's converter does (uint8/uint16), and `saveQuantized` writes the model in that
 * format for plain `tf.loadLayersModel` (in Node: `fileHandler` from ".../node").
 */
import "reflect-metadata";
import { QuantizeOnEval } from "./plugin";

export { QuantizeOnEval };
export default QuantizeOnEval;
export {
  quantizeOnEvalOptions,
  quantizeOnEvalPluginOptions,
  presetConflicts,
  PRESETS,
  type Preset,
  type QuantizeOnEvalOptions,
  type Scheme,
  type Granularity,
  type Targets,
} from "./options";
export {
  converterQuantize,
  converterDequantize,
  roundHalfEven,
  TFJS_CONVERTER_BITS,
  type ConverterBits,
  type ConverterQuantized,
} from "./converter";
export { saveQuantized, quantizeArtifacts, quantizedSize, modelJsonFor, type SaveQuantizedOptions, type SaveQuantizedResult } from "./save";
export { quantizeTensor, quantizeSymmetric, quantizeAsymmetric, quantizationLevels, type QuantizerSpec } from "./quantizer";
export { findFoldablePairs, foldedWeights, type FoldablePair } from "./fold";
export {
  evaluateQuantized,
  withQuantizedWeights,
  withFoldedBatchNorm,
  foldBatchNorm,
  applyQuantization,
  type QuantizeSpec,
} from "./evaluate";
export { modelWeights, selectTargets, WeightSwap, type ModelWeight, type WeightRole } from "./weights";
