/**
 * JSON Schemas (draft 2020-12) of the CLI's config files, for editors (`"$schema"` in a JSON
 * config, or yaml-language-server's `# yaml-language-server: $schema=…`). The plugin lists use
 * core's schema, with the options of every built-in plugin that is installed.
 */
import { BUILTIN_PLUGINS, configJsonSchema, resolvePlugin, z, type PluginClass } from "@flatfit/core";
import { cnnSchema, compareFields, csvSchema, curvatureSchema, landscapeSchema, mlpSchema, mnistSchema, moduleModelSchema, savedModelSchema, sweepFields, trainFields } from "./schema";

export type ConfigKind = "train" | "compare" | "sweep";

function pluginItems(): unknown {
  const classes: Record<string, PluginClass> = {};
  for (const id of BUILTIN_PLUGINS) {
    try {
      classes[id] = resolvePlugin(id, process.cwd()).cls;
    } catch {
      // not installed: accepted with free-form options
    }
  }
  const core = configJsonSchema(classes) as { properties: { plugins: unknown } };
  return core.properties.plugins;
}

export function cliJsonSchema(kind: ConfigKind): Record<string, unknown> {
  const fields = kind === "train" ? trainFields : kind === "compare" ? compareFields : sweepFields;
  const schema = z.strictObject({
    ...fields,
    model: z.union([z.enum(["mlp", "cnn"]), mlpSchema, cnnSchema, savedModelSchema, moduleModelSchema]).describe("the model: built-in, a saved tfjs model folder, or a factory module"),
    data: z.union([z.literal("mnist"), mnistSchema, csvSchema]).describe("the data: MNIST digits or a CSV table"),
    curvature: z.union([z.boolean(), curvatureSchema]).optional().describe("Hessian trace on the test data at the end"),
    landscape: z.union([z.boolean(), landscapeSchema]).optional().describe("2-D loss-landscape slice at the end"),
  });
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties: Record<string, { items?: { properties?: Record<string, unknown> } }> };
  const plugins = pluginItems();
  json.properties.plugins = plugins as never;
  const methods = json.properties.methods?.items?.properties;
  if (methods) methods.plugins = plugins;
  return { title: `flatfit ${kind} config`, ...json };
}
