#!/usr/bin/env node
/**
 * flatfit-schema [plugin…] — prints the JSON Schema of the flatfit config, with the options of
 * every built-in plugin that is installed and of each plugin named on the command line (a
 * package name or a path). Point an editor at it: `"$schema": "./flatfit.schema.json"`.
 */
import "reflect-metadata";
import "../node"; // the Node host: built-in plugins load by package name
import { configJsonSchema } from "../config";
import type { PluginClass } from "../plugin";
import { BUILTIN_PLUGINS, resolvePlugin } from "../resolve";

const plugins: Record<string, PluginClass> = {};
for (const id of BUILTIN_PLUGINS) {
  try {
    plugins[id] = resolvePlugin(id, process.cwd()).cls;
  } catch {
    // not installed: the schema still accepts it with free-form options
  }
}
for (const use of process.argv.slice(2)) {
  const { cls, id } = resolvePlugin(use, process.cwd());
  plugins[id] = cls;
}
process.stdout.write(JSON.stringify(configJsonSchema(plugins), null, 2) + "\n");
