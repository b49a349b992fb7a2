/**
 * The plugin contract. A plugin is a class: constructed with its (validated) options object,
 * it taps the hooks it needs in `apply(hooks)`, the way webpack plugins do.
 *
 * Construction: a class decorated for tsyringe (`@injectable()`, `@inject(PLUGIN_OPTIONS)`) is
 * resolved from the instance's container, so it can receive `RandomSource`, `Logger`,
 * `HessianVectorProduct` by injection. A plain class is called as `new Plugin(options, services)`.
 */
import type * as tf from "@tensorflow/tfjs";
import type { z } from "zod";
import type { FlatfitHooks } from "./hooks";
import type { HessianVectorProduct } from "./hvp";
import type { Logger } from "./logger";
import type { RandomSource } from "./random";

export interface FlatfitPlugin {
  apply(hooks: FlatfitHooks): void;
  /**
   * State saved with the optimizer's weights (`model.save(…, {includeOptimizer: true})`). The
   * tensors are borrowed: flatfit clones what it saves, so return the plugin's own tensors
   * (not fresh copies, which would leak). Save per-variable state by position; follow it by name
   * while training (`SlotVariables` does both).
   */
  getState?(): tf.NamedTensorMap;
  /** Restores what `getState` returned. Tensors passed in belong to the caller: clone to keep. */
  setState?(state: tf.NamedTensorMap): void;
  /** Frees tensors the plugin holds. */
  dispose?(): void;
}

/** The services a plain (undecorated) plugin class receives as its second constructor argument. */
export interface PluginServices {
  random: RandomSource;
  logger: Logger;
  hvp: HessianVectorProduct;
}

export interface PluginClass<O = any> {
  /** `(options, services)` for a plain class; any injectable parameters for a decorated one. */
  new (options: O, ...rest: any[]): FlatfitPlugin;
  /** The plugin's id, used in error messages and state names (e.g. "hero"). */
  readonly id?: string;
  /** The core API versions the plugin supports, a semver range (e.g. "^1"); see `CORE_API_VERSION`. */
  readonly coreApi?: string;
  /**
   * The options schema (zod). Validates and fills defaults; unknown options are rejected when the
   * schema is strict. Without one, options reach the constructor unchecked.
   */
  readonly options?: z.ZodType<O>;
}

/** Token under which a plugin's validated options are registered for injection. */
export const PLUGIN_OPTIONS = Symbol.for("flatfit.pluginOptions");
/** Token under which the instance's resolved config is registered. */
export const FLATFIT_CONFIG = Symbol.for("flatfit.config");
