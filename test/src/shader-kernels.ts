/**
 * The fused kernels with an elementwise form that core, HERO and PertOPT declare: the ones
 * installBackendExtras() compiles into shader programs. One list for the Node test of the forms
 * and the Chromium test of the compiled shaders.
 */
export const SHADER_KERNELS: readonly string[] = [
  "FlatfitLinearCombination",
  "FlatfitSumOfSquares",
  "FlatfitDot",
  "FlatfitHeroSquaredWeightsTimesGradient",
  "FlatfitHeroWeightedGradientSquares",
  "FlatfitPertoptSigma",
  "FlatfitPertoptMovedSquared",
  "FlatfitSecondMoment",
  "FlatfitPertoptPerturbedWeights",
];
