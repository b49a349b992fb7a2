/** @flatfit/plugin-pertopt — PertOPT, PAC-Bayes perturbed optimizer with per-parameter levels. */
import "reflect-metadata";
import { PertoptPlugin } from "./pertopt";

export { PertoptPlugin, type PertoptOptions } from "./pertopt";
export default PertoptPlugin;
