/**
 * A plugin written outside the repository, the way an outside author works: the workspace
 * packages it needs are packed (`npm pack`), `flatfit new plugin` writes the plugin in a temporary
 * folder, the tarballs are installed there (everything else from the npm cache or registry), it is
 * built and its own tests run; then it is packed itself and installed, by name, into an app
 * beside @flatfit/core and @flatfit/testing, which loads it from a config file by package name and
 * runs the kit's fit contract on it (on the backend $FLATFIT_TEST_BACKEND names, through the kit's
 * `@flatfit/testing/setup.js`).
 */
import test from "ava";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** test/dist/src → the repository root. */
const ROOT = path.resolve(__dirname, "..", "..", "..");
const BIN = path.join(ROOT, "packages", "cli", "dist", "src", "bin.js");
const ID = "outside";
const NAME = `flatfit-plugin-${ID}`;

/** name → folder of every workspace package. */
function workspaces(): Map<string, { dir: string; pkg: Record<string, any> }> {
  const out = new Map<string, { dir: string; pkg: Record<string, any> }>();
  for (const group of ["packages", "plugins"]) {
    for (const entry of fs.readdirSync(path.join(ROOT, group))) {
      const file = path.join(ROOT, group, entry, "package.json");
      if (!fs.existsSync(file)) continue;
      const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
      out.set(pkg.name, { dir: path.dirname(file), pkg });
    }
  }
  return out;
}

/** `names` and the workspace packages they need at run time (dependencies, required peers). */
function withWorkspaceDeps(names: string[]): string[] {
  const ws = workspaces();
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const w = ws.get(name);
    if (!w || seen.has(name)) return;
    seen.add(name);
    const optional = w.pkg.peerDependenciesMeta ?? {};
    const peers = Object.keys(w.pkg.peerDependencies ?? {}).filter((p) => !optional[p]?.optional);
    for (const dep of [...Object.keys(w.pkg.dependencies ?? {}), ...peers]) visit(dep);
  };
  names.forEach(visit);
  return [...seen];
}

/** npm without the settings of the npm run that started these tests (workspace flags would leak in). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: "0" };
  for (const key of Object.keys(env)) {
    if (/^npm_(config_(workspaces?|include_workspace_root|prefix|global|location)|package_.*|lifecycle_.*)$/i.test(key)) delete env[key];
  }
  return env;
}

interface Ran {
  code: number | null;
  out: string;
  seconds: number;
}

function run(cmd: string, args: string[], cwd: string): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, seconds: (Date.now() - started) / 1000 }));
  });
}

const NPM_INSTALL = ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];

test("a plugin made outside the repo with `flatfit new plugin`, from packed tarballs, builds, passes its tests, loads by name and keeps the kit's fit contract", async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flatfit-outside-"));
  const tarballs = path.join(tmp, "tarballs");
  const pluginDir = path.join(tmp, NAME);
  const appDir = path.join(tmp, "app");
  const step = async (what: string, cmd: string, args: string[], cwd: string): Promise<string> => {
    const r = await run(cmd, args, cwd);
    t.log(`${what}: ${r.seconds.toFixed(1)} s`);
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}) in ${cwd}:\n${cmd} ${args.join(" ")}\n${r.out}`);
    return r.out;
  };
  try {
    // 1. Pack the kit and what it needs from the workspace.
    const packages = withWorkspaceDeps(["@flatfit/core", "@flatfit/testing"]);
    t.true(packages.includes("@flatfit/core") && packages.includes("@flatfit/testing"), packages.join(", "));
    fs.mkdirSync(tarballs);
    const packed = JSON.parse(
      await step("npm pack " + packages.join(" "), "npm", ["pack", "--json", "--pack-destination", tarballs, ...packages.flatMap((p) => ["-w", p])], ROOT),
    ) as Array<{ name: string; filename: string }>;
    t.deepEqual(packed.map((p) => p.name).sort(), [...packages].sort());
    const tgz = packed.map((p) => path.join(tarballs, p.filename));

    // 2. Write the plugin with the scaffold, install the tarballs into it, build it, run its own tests.
    await step("flatfit new plugin", process.execPath, [BIN, "new", "plugin", ID, "--dir", pluginDir], tmp);
    await step("npm install (plugin)", "npm", [...NPM_INSTALL, "--save-dev", ...tgz], pluginDir);
    await step("npm run build (plugin)", "npm", ["run", "build"], pluginDir);
    const own = await step("npm test (plugin)", "npm", ["test"], pluginDir);
    t.regex(own, /3 tests passed/, own);
    const pluginPacked = JSON.parse(await step("npm pack (plugin)", "npm", ["pack", "--json", "--pack-destination", tarballs], pluginDir)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    t.deepEqual(pluginPacked[0].files.map((f) => f.path).sort(), ["README.md", "dist/src/index.d.ts", "dist/src/index.js", "dist/src/index.js.map", "package.json"]);

    // 3. An app that installs it by name, beside the kit, and loads it from a config.
    fs.mkdirSync(appDir);
    const app = {
      name: "outside-app",
      version: "1.0.0",
      private: true,
      // the kit's setup puts tfjs on $FLATFIT_TEST_BACKEND, so each pass of the suite checks its backend here too
      ava: { files: ["contract.test.js"], require: ["reflect-metadata", "@flatfit/testing/setup.js"], workerThreads: false, serial: true, timeout: "3m" },
    };
    fs.writeFileSync(path.join(appDir, "package.json"), JSON.stringify(app, null, 2) + "\n");
    const pluginPeers = JSON.parse(fs.readFileSync(path.join(pluginDir, "package.json"), "utf8")).peerDependencies as Record<string, string>;
    const thirdParty = Object.entries(pluginPeers)
      .filter(([name]) => !name.startsWith("@flatfit/"))
      .map(([name, range]) => `${name}@${range}`);
    const avaRange = JSON.parse(fs.readFileSync(path.join(pluginDir, "package.json"), "utf8")).devDependencies.ava as string;
    await step("npm install (app)", "npm", [...NPM_INSTALL, ...tgz, path.join(tarballs, pluginPacked[0].filename), ...thirdParty, `ava@${avaRange}`], appDir);
    t.false(fs.existsSync(path.join(appDir, "node_modules", NAME, "node_modules")), "the plugin brings no copies of its peers");
    t.false(fs.existsSync(path.join(appDir, "node_modules", "@flatfit", "testing", "node_modules")), "the kit brings no second core or tfjs");

    fs.writeFileSync(path.join(appDir, "flatfit.config.json"), JSON.stringify({ seed: 1, plugins: [{ use: NAME, step: 0.05 }] }, null, 2) + "\n");
    fs.writeFileSync(
      path.join(appDir, "contract.test.js"),
      [
        'const test = require("ava");',
        'const fs = require("node:fs");',
        'const path = require("node:path");',
        'const { createFlatfit } = require("@flatfit/core");',
        'const { checkFitContract } = require("@flatfit/testing");',
        'const configFile = path.join(__dirname, "flatfit.config.json");',
        'test("loaded by name from the config file", async (t) => {',
        "  const ff = await createFlatfit(configFile, { logSink: () => {} });",
        `  t.deepEqual(ff.pluginIds, [${JSON.stringify(ID)}]);`,
        `  t.is(ff.plugin(0).constructor, require(${JSON.stringify(NAME)}).default);`,
        "  t.is(ff.plugin(0).opts.step, 0.05);",
        "  ff.dispose();",
        "});",
        'test("the kit\'s fit contract, the plugin loaded by name", async (t) => {',
        '  await checkFitContract(t, JSON.parse(fs.readFileSync(configFile, "utf8")).plugins);',
        "});",
        "",
      ].join("\n"),
    );
    const contract = await step("ava (app)", path.join(appDir, "node_modules", ".bin", "ava"), [], appDir);
    t.regex(contract, /2 tests passed/, contract);
    t.regex(contract, /✔ the kit's fit contract, the plugin loaded by name/, contract);
  } finally {
    if (process.env.FLATFIT_KEEP_OUTSIDE_TMP) t.log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
});
