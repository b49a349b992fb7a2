import test from "ava";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CORE_API_VERSION } from "@flatfit/core";
import { runBin, tempDir } from "./helpers";

/** The workspace's node_modules (where @flatfit/* link to the packages), and the tools in it. */
const TSC = path.join(path.dirname(require.resolve("typescript")), "..", "bin", "tsc");
const AVA = path.join(path.dirname(require.resolve("ava")), "cli.mjs");
const NODE_MODULES = path.resolve(path.dirname(require.resolve("typescript")), "..", "..");

const listFiles = (dir: string): string[] =>
  fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();

test("`flatfit new plugin <id>` writes a plugin package that builds with tsc and passes its own tests against the workspace packages", async (t) => {
  const root = tempDir("flatfit-new-");
  try {
    const r = await runBin(["new", "plugin", "look-ahead"], root);
    t.is(r.code, 0, r.stderr);
    const dir = path.join(root, "flatfit-plugin-look-ahead");
    t.deepEqual(listFiles(dir), [".gitignore", "README.md", "package.json", "src/index.ts", "test/look-ahead.test.ts", "tsconfig.json"]);

    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    t.is(pkg.name, "flatfit-plugin-look-ahead");
    t.deepEqual(Object.keys(pkg.peerDependencies).sort(), ["@flatfit/core", "@tensorflow/tfjs", "reflect-metadata", "tsyringe"]);
    t.is(pkg.scripts.build, "tsc -p tsconfig.json");
    t.is(pkg.scripts.test, "ava");
    const tsconfig = JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8"));
    t.true(tsconfig.compilerOptions.experimentalDecorators);
    t.true(tsconfig.compilerOptions.emitDecoratorMetadata);
    const src = fs.readFileSync(path.join(dir, "src", "index.ts"), "utf8");
    t.true(src.includes('static readonly id = "look-ahead";'));
    t.true(src.includes(`static readonly coreApi = "^${CORE_API_VERSION.split(".")[0]}";`));
    t.true(src.includes("export default class LookAheadPlugin"));
    const readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
    for (const section of ["## Cost", "## Options", "## Cite"]) t.true(readme.includes(section), section);
    t.true(readme.includes("| gradient evaluations | 2 |"));
    t.true(readme.includes('"use": "look-ahead"'), "the short name resolves to flatfit-plugin-look-ahead");
    t.false(/\{\{\w+\}\}/.test(listFiles(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8")).join("")), "every placeholder filled");

    // Against the workspace packages: its node_modules is the workspace's.
    fs.symlinkSync(NODE_MODULES, path.join(dir, "node_modules"), "dir");
    const build = spawnSync(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: dir, encoding: "utf8" });
    t.is(build.status, 0, `tsc: ${build.stdout}${build.stderr}`);
    const tests = spawnSync(process.execPath, [AVA], { cwd: dir, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" } });
    const out = `${tests.stdout}${tests.stderr}`;
    t.is(tests.status, 0, `ava: ${out}`);
    t.regex(out, /3 tests passed/, out);
    t.regex(out, /✔ inside model\.fit it keeps the fit contract/, out);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("an id outside the accepted pattern is refused with the pattern, and nothing is written", async (t) => {
  const root = tempDir("flatfit-new-");
  try {
    for (const id of ["Sam", "my_method", "a--b"]) {
      const r = await runBin(["new", "plugin", id], root);
      t.is(r.code, 2, id);
      t.true(r.stderr.includes(`plugin id ${JSON.stringify(id)} is not accepted`), r.stderr);
      t.true(r.stderr.includes("pattern ^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"), r.stderr);
    }
    const long = "a".repeat(41);
    t.is((await runBin(["new", "plugin", long], root)).code, 2);
    t.deepEqual(fs.readdirSync(root), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a built-in plugin's id is refused: the name would load the built-in", async (t) => {
  const root = tempDir("flatfit-new-");
  try {
    const r = await runBin(["new", "plugin", "hero"], root);
    t.is(r.code, 2);
    t.true(r.stderr.includes('plugin id "hero" is a built-in plugin\'s'), r.stderr);
    t.deepEqual(fs.readdirSync(root), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a non-empty --dir is refused and left as it was; an empty one is filled", async (t) => {
  const root = tempDir("flatfit-new-");
  try {
    const full = path.join(root, "full");
    fs.mkdirSync(full);
    fs.writeFileSync(path.join(full, "package.json"), "{}\n");
    const r = await runBin(["new", "plugin", "look-around", "--dir", "full"], root);
    t.is(r.code, 2);
    t.true(r.stderr.includes(`--dir ${full} is not empty (package.json)`), r.stderr);
    t.deepEqual(fs.readdirSync(full), ["package.json"]);
    t.is(fs.readFileSync(path.join(full, "package.json"), "utf8"), "{}\n");

    fs.mkdirSync(path.join(root, "empty"));
    const ok = await runBin(["new", "plugin", "look-around", "--dir", "empty", "--name", "@lab/look-around"], root);
    t.is(ok.code, 0, ok.stderr);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "empty", "package.json"), "utf8"));
    t.is(pkg.name, "@lab/look-around");
    t.true(fs.readFileSync(path.join(root, "empty", "README.md"), "utf8").includes('"use": "@lab/look-around"'), "a custom name is used whole");

    const bad = await runBin(["new", "plugin", "look-around", "--dir", "other", "--name", "Lab Sam"], root);
    t.is(bad.code, 2);
    t.true(bad.stderr.includes('--name "Lab Sam" is not an npm package name'), bad.stderr);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("an unknown kind names the accepted ones", async (t) => {
  const root = tempDir("flatfit-new-");
  try {
    const r = await runBin(["new", "widget", "x"], root);
    t.is(r.code, 2);
    t.true(r.stderr.includes('unknown kind "widget"; accepted: plugin'), r.stderr);
    t.deepEqual(fs.readdirSync(root), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
