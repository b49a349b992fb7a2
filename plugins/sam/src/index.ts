/**
 * @flatfit/plugin-sam — the SAM family as flatfit plugins: SAM, unnormalized SAM (USAM), adaptive
 * SAM (ASAM), random SAM (RSAM), and one-point weight-perturbed SGD (WP-SGD). `{use: "sam"}` loads
 * this entry; `{use: "usam"}`, `"asam"`, `"rsam"` and `"wp-sgd"` load its subpaths
 * (`@flatfit/plugin-sam/usam`, …), whose default export is that method's class.
 */
import "reflect-metadata";
import { SamPlugin } from "./sam";

export { SamPlugin, samOptions, type SamOptions } from "./sam";
export { UsamPlugin, usamOptions, type UsamOptions } from "./usam";
export { AsamPlugin, asamOptions, asamPerturbation, isBiasName, ASAM_BIASES, type AsamOptions, type AsamBiases } from "./asam";
export { RsamPlugin, rsamOptions, type RsamOptions } from "./rsam";
export { WpSgdPlugin, wpSgdOptions, type WpSgdOptions } from "./wp-sgd";
export { normalizedDirection, ascentStep, gradientAt, drawNoise, NOISE_DISTRIBUTIONS, type NoiseDistribution } from "./perturb";
export default SamPlugin;
