/**
 * Plugin names resolve like Babel/ESLint plugin names:
 *   "hero"            → @flatfit/plugin-hero (then flatfit-plugin-hero)
 *   "@org/pkg", "pkg" → that package (when no @flatfit/plugin-pkg exists)
 *   "./x", "/abs/x"   → a module by path (relative to the config file's folder, or the cwd)
 * The module's default export (or the module itself) is the plugin class.
 */
import * as path from "node:path";
import type { PluginClass } from "./plugin";

/** Ids of the plugins flatfit ships. */
export const BUILTIN_PLUGINS = ["hero", "nso", "seht", "grad-l1", "pertopt", "quantize-on-eval", "curvature"] as const;

export class PluginResolveError extends Error {}

function isPath(use: string): boolean {
  return use.startsWith("./") || use.startsWith("../") || use === "." || path.isAbsolute(use);
}

/** The module ids tried for `use`, in order. */
export function candidates(use: string): string[] {
  if (isPath(use)) return [use];
  if (use.startsWith("@")) return [use];
  if (use.includes("/")) return [use];
  return [`@flatfit/plugin-${use}`, `flatfit-plugin-${use}`, use];
}

export function resolvePlugin(use: string | PluginClass, baseDir: string): { cls: PluginClass; id: string; from: string } {
  if (typeof use === "function") return { cls: use, id: use.id ?? use.name, from: "(class)" };
  const tried: string[] = [];
  for (const id of candidates(use)) {
    const request = isPath(id) ? path.resolve(baseDir, id) : id;
    let file: string;
    try {
      file = require.resolve(request, { paths: [baseDir, process.cwd(), __dirname] });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") {
        tried.push(id);
        continue;
      }
      throw err;
    }
    const mod = require(file);
    const cls = (mod && mod.default) ?? mod;
    if (typeof cls !== "function" || typeof cls.prototype?.apply !== "function") {
      throw new PluginResolveError(`module ${file} does not export a plugin class as its default export (a class with an apply(hooks) method)`);
    }
    return { cls, id: (cls as PluginClass).id ?? use, from: file };
  }
  throw new PluginResolveError(
    `unknown plugin "${use}": tried ${tried.join(", ")}. Built-in plugins: ${BUILTIN_PLUGINS.join(", ")}; ` +
      `a third-party plugin is a package name or a path ("./my-plugin.js")`,
  );
}
