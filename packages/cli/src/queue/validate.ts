/**
 * A worker checks each job before it trains: the job's config against the same schema a config
 * file is checked with (fields, model and data shapes, each plugin's options by core), and its
 * code given by path — plugins and model factory modules — only when the worker was started with
 * --allow-plugin-paths. Any problem is a FlatfitConfigError naming the field and what is accepted.
 */
import { FlatfitConfigError, type ConfigIssue } from "@flatfit/core";
import { checkPlugins } from "../config/load";
import { zodIssues } from "../config/issues";
import { isPluginPath } from "../config/resolve";
import { trainSchema, type PluginSpec, type TrainConfig } from "../config/schema";
import { pickData, pickModel } from "../config/variants";

const ALLOW = "--allow-plugin-paths";

export async function validateTrialConfig(raw: unknown, baseDir: string, where: string, allowPaths: boolean): Promise<TrainConfig> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new FlatfitConfigError([{ path: [], message: `config: expected a training config object with fields like model, data, epochs (got ${JSON.stringify(raw ?? null)})` }], where);
  }
  const obj = raw as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  const parsed = trainSchema.safeParse(obj);
  if (!parsed.success) issues.push(...zodIssues(parsed.error, obj, trainSchema));
  const model = pickModel(obj.model);
  const data = pickData(obj.data);
  issues.push(...model.issues, ...data.issues);
  const plugins = Array.isArray(obj.plugins) ? (obj.plugins as PluginSpec[]) : [];
  if (!allowPaths) {
    plugins.forEach((p, i) => {
      if (p && typeof p.use === "string" && isPluginPath(p.use)) {
        issues.push({ path: ["plugins", i, "use"], message: `plugins[${i}].use: "${p.use}" is a plugin given by path, which this worker loads only when started with ${ALLOW}; accepted without it: built-in plugin ids and package names installed on the worker` });
      }
    });
    const m = model.value;
    if (m && "module" in m) issues.push({ path: ["model", "module"], message: `model.module: "${m.module}" is code given by path, which this worker loads only when started with ${ALLOW}; accepted without it: built-in models (mlp, cnn) and saved models {path: …}` });
  }
  if (issues.length === 0) {
    const backend = parsed.success ? parsed.data.backend : "auto";
    issues.push(...(await checkPlugins(plugins, (i) => ["plugins", i], baseDir, backend)));
  }
  if (issues.length || !parsed.success || !model.value || !data.value) throw new FlatfitConfigError(issues, where);
  const { $schema: _s, model: _m, data: _d, curvature, landscape, ...rest } = parsed.data;
  return { ...rest, model: model.value, data: data.value, plugins: rest.plugins as PluginSpec[], curvature: curvature ?? undefined, landscape: landscape ?? undefined };
}
