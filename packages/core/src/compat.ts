/**
 * The core API range check. A plugin declares the range of core API versions it was written
 * for as a semver range on its class (`static readonly coreApi = "^1"`); core refuses a plugin
 * whose range does not admit `CORE_API_VERSION`. A plugin that declares nothing is accepted.
 *
 * `CORE_API_VERSION` is the version of what plugins see (hooks, StepContext, services, helpers),
 * not the package's version: its major goes up when a change can break a plugin, its minor when
 * the API gains something a plugin may rely on.
 */
import satisfies from "semver/functions/satisfies";
import validRange from "semver/ranges/valid";
import type { PluginClass } from "./plugin";

/** The plugin API version this core provides. */
export const CORE_API_VERSION = "1.0.0";

/** The range a plugin declares, if any (`static coreApi`). */
export function declaredCoreApi(cls: PluginClass): unknown {
  return (cls as { coreApi?: unknown }).coreApi;
}

/**
 * Why `cls` (named `id`) cannot run on this core, or undefined when it can: its `static coreApi`
 * is not a semver range, or its range does not admit `CORE_API_VERSION`.
 */
export function coreApiMismatch(cls: PluginClass, id: string, coreApi: string = CORE_API_VERSION): string | undefined {
  const range = declaredCoreApi(cls);
  if (range === undefined) return undefined;
  if (typeof range !== "string" || validRange(range) === null) {
    return `plugin "${id}" declares static coreApi = ${JSON.stringify(range)}, which is not a semver range; declare the core API versions it supports, e.g. "^${major(coreApi)}"`;
  }
  if (!satisfies(coreApi, range)) {
    return (
      `plugin "${id}" supports core API ${range}, but this @flatfit/core provides core API ${coreApi}; ` +
      `install a version of the plugin written for core API ^${major(coreApi)}, or a @flatfit/core whose API its range admits`
    );
  }
  return undefined;
}

/** Throws the mismatch as an Error (for code that loads plugin classes itself). */
export function assertCoreApi(cls: PluginClass, id: string): void {
  const why = coreApiMismatch(cls, id);
  if (why) throw new Error(why);
}

function major(version: string): string {
  return version.split(".")[0];
}
