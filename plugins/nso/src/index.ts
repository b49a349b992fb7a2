/** @flatfit/plugin-nso — NSO, noise-stability optimization (two-point noise injection). */
import "reflect-metadata";
import { NsoPlugin } from "./nso";

export { NsoPlugin, drawNoise, NSO_DISTRIBUTIONS, type NsoDistribution, type NsoOptions } from "./nso";
export default NsoPlugin;
