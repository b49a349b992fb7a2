import "reflect-metadata";
import { GradL1Plugin } from "./grad-l1";

export { GradL1Plugin, gradL1Options, type GradL1Options } from "./grad-l1";
export default GradL1Plugin;
