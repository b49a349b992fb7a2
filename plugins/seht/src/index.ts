import "reflect-metadata";
import { SehtPlugin } from "./seht";

export { SehtPlugin, sehtOptions, SECOND_DIFFERENCE_STEP, type SehtOptions } from "./seht";
export default SehtPlugin;
