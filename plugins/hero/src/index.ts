import "reflect-metadata";
import { HeroPlugin } from "./hero";

export { HeroPlugin, heroOptions, heroDirection, HERO_SCALINGS, type HeroOptions, type HeroScaling } from "./hero";
export default HeroPlugin;
