import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BUILTIN_PLUGINS, CORE_API_VERSION, createFlatfit, FlatfitConfigError, resolvePlugin, type FlatfitHooks, type PluginClass } from "@flatfit/core";

const quiet = { logSink: () => {} };

/** A plugin class declaring `coreApi` (or nothing, when undefined). */
function pluginWith(coreApi: unknown): PluginClass {
  return class {
    static readonly id = "ranged";
    static readonly coreApi = coreApi as string;
    apply(_hooks: FlatfitHooks): void {}
  };
}

async function configError(plugins: unknown[], file?: string): Promise<string> {
  const err = await createFlatfit(file ?? { plugins: plugins as never }, quiet).then(
    (ff) => (ff.dispose(), undefined),
    (e: unknown) => e,
  );
  if (!(err instanceof FlatfitConfigError)) throw new Error(`expected a FlatfitConfigError, got ${String(err)}`);
  return err.message;
}

test("core's API version is 1.0.0, a semver version", (t) => {
  t.is(CORE_API_VERSION, "1.0.0");
});

test("a plugin whose range admits the core API loads, and so does one that declares no range", async (t) => {
  for (const range of ["^1", "^1.0.0", ">=1 <3", "1.x", undefined]) {
    const ff = await createFlatfit({ plugins: [{ use: pluginWith(range) }] }, quiet);
    t.deepEqual(ff.pluginIds, ["ranged"], `coreApi ${range}`);
    ff.dispose();
  }
});

test("a plugin written for another core API is refused, naming the plugin, its range and core's API version", async (t) => {
  for (const range of ["^2", "^0.9", "~1.1", ">1.0.0"]) {
    const msg = await configError([{ use: pluginWith(range) }]);
    t.true(msg.includes('plugins[0].use: plugin "ranged"'), msg);
    t.true(msg.includes(`supports core API ${range}`), msg);
    t.true(msg.includes(`provides core API ${CORE_API_VERSION}`), msg);
  }
});

test("a range that is not semver is refused with what to declare", async (t) => {
  for (const range of ["one", 1, ["^1"]]) {
    const msg = await configError([{ use: pluginWith(range) }]);
    t.true(msg.includes(`declares static coreApi = ${JSON.stringify(range)}, which is not a semver range`), msg);
    t.true(msg.includes('e.g. "^1"'), msg);
  }
});

test("in a config file, the refusal points at the plugin's line; the other plugins' positions are kept", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flatfit-compat-"));
  try {
    fs.writeFileSync(
      path.join(dir, "future.js"),
      'module.exports = class Future { static id = "future"; static coreApi = "^2"; apply() {} };\n',
    );
    const file = path.join(dir, "run.yaml");
    fs.writeFileSync(file, "seed: 1\nplugins:\n  - use: nso\n    sigma: 0.01\n  - use: ./future.js\n");
    const msg = await configError([], file);
    t.true(msg.includes("run.yaml:5:"), msg);
    t.true(msg.includes('plugins[1].use: plugin "future" supports core API ^2, but this @flatfit/core provides core API 1.0.0'), msg);
    t.false(msg.includes("plugins[0]"), msg);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("every built-in plugin declares the core API range it supports, and it admits this core", async (t) => {
  for (const id of BUILTIN_PLUGINS) {
    const { cls } = resolvePlugin(id, process.cwd());
    t.is(cls.coreApi, "^1", id);
    // the same class, declared for a future core, is refused
    const Future = class extends (cls as new (...a: any[]) => any) {
      static readonly coreApi = "^2";
    } as unknown as PluginClass;
    const msg = await configError([{ use: Future }]);
    t.true(msg.includes(`supports core API ^2, but this @flatfit/core provides core API ${CORE_API_VERSION}`), `${id}: ${msg}`);
  }
});
