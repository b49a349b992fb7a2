/**
 * Plugin names resolve like Babel/ESLint plugin names:
 *   "hero"            → @flatfit/plugin-hero (then flatfit-plugin-hero)
 *   "usam"            → @flatfit/plugin-sam/usam (a method of another built-in's family; then as above)
 *   "@org/pkg", "pkg" → that package (when no @flatfit/plugin-pkg exists)
 *   "./x", "/abs/x"   → a module by path (relative to the config file's folder, or the cwd)
 * The module's default export (or the module itself) is the plugin class. Loading by name or
 * path goes through the host (Node: require); in a browser a plugin is passed as its class.
 */
import { host } from "./host";
import type { PluginClass } from "./plugin";

/** Ids of the plugins flatfit ships. */
export const BUILTIN_PLUGINS = ["hero", "nso", "seht", "grad-l1", "pertopt", "quantize-on-eval", "curvature", "sam", "usam", "asam", "rsam", "wp-sgd"] as const;

/** Built-in ids whose method lives in another id's package (one package per family), tried first. */
const FAMILY_MODULES: Readonly<Record<string, string>> = {
  usam: "@flatfit/plugin-sam/usam",
  asam: "@flatfit/plugin-sam/asam",
  rsam: "@flatfit/plugin-sam/rsam",
  "wp-sgd": "@flatfit/plugin-sam/wp-sgd",
};

export class PluginResolveError extends Error {}

function isPath(use: string): boolean {
  return use.startsWith("./") || use.startsWith("../") || use === "." || /^([A-Za-z]:)?[\\/]/.test(use);
}

/** The module ids tried for `use`, in order. */
export function candidates(use: string): string[] {
  if (isPath(use)) return [use];
  if (use.startsWith("@")) return [use];
  if (use.includes("/")) return [use];
  const family = Object.prototype.hasOwnProperty.call(FAMILY_MODULES, use) ? [FAMILY_MODULES[use]] : [];
  return [...family, `@flatfit/plugin-${use}`, `flatfit-plugin-${use}`, use];
}

function className(use: string): string {
  const base = use.replace(/^.*[\\/]/, "").replace(/\.[cm]?js$/, "").replace(/^plugin-/, "");
  return base.replace(/(^|[-_.])(\w)/g, (_m, _s, c: string) => c.toUpperCase()) + "Plugin";
}

export function resolvePlugin(use: string | PluginClass, baseDir: string | undefined): { cls: PluginClass; id: string; from: string } {
  if (typeof use === "function") return { cls: use, id: use.id ?? use.name, from: "(class)" };
  const h = host();
  if (h.kind === "browser") {
    const pkg = candidates(use)[0];
    throw new PluginResolveError(
      `"${use}" names a plugin to load by name or path, which needs Node (require). In a browser, import the plugin ` +
        `and pass its class: import ${className(use)} from "${pkg}"; {use: ${className(use)}}`,
    );
  }
  const tried: string[] = [];
  for (const id of candidates(use)) {
    const request = isPath(id) ? h.resolvePath(baseDir, id) : id;
    let found: ReturnType<typeof h.loadModule>;
    try {
      found = h.loadModule(request, baseDir);
    } catch (err) {
      throw new PluginResolveError(`cannot load "${use}" from ${request}: ${(err as Error).message.split("\n")[0]}`);
    }
    if (!found) {
      tried.push(id);
      continue;
    }
    const mod = found.exports as { default?: unknown } | undefined;
    const cls = ((mod && mod.default) ?? mod) as PluginClass;
    if (typeof cls !== "function" || typeof cls.prototype?.apply !== "function") {
      throw new PluginResolveError(`module ${found.from} does not export a plugin class as its default export (a class with an apply(hooks) method)`);
    }
    return { cls, id: cls.id ?? use, from: found.from };
  }
  throw new PluginResolveError(
    `unknown plugin "${use}": tried ${tried.join(", ")}. Built-in plugins: ${BUILTIN_PLUGINS.join(", ")}; ` +
      `a third-party plugin is a package name or a path ("./my-plugin.js")`,
  );
}
