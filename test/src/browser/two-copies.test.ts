/**
 * Two copies of @tensorflow/tfjs-core in one browser bundle, as an app can end up with (one import
 * resolved to the ES-module build, another to the CommonJS build): esbuild bundles a page in which
 * @tensorflow/tfjs-layers and a module imported first get the CommonJS build (dist/tf-core.node.js)
 * and everything else — @tensorflow/tfjs, the webgl backend, flatfit — the ES-module build
 * (dist/index.js). The copies share one engine (a global) but have their own classes; the copy
 * evaluated first makes the engine, so every Variable, BatchNorm statistics included, is an
 * instance of the CommonJS copy's class, which flatfit's import of tfjs never sees.
 *
 * flatfit's state guard works at the engine, so hero and nso at learning rate 0 must leave every
 * weight and BatchNorm statistic bit-identical to plain fit's (before the engine-level guard, hero
 * moved moving_mean by 2.8e-2 here). On webgl, and on the cpu backend in the same page: the
 * effect is about which copy's classes the variables have, not about the backend, and cpu shows
 * it without the GPU's cost.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, serveStatic, type StaticServer } from "@flatfit/testing/chromium";
import { APP_DIR, importEsm } from "./packages";
import type { Spec, TwoCopiesApi } from "./page/two-copies";

const PAGE_SOURCE = path.resolve(__dirname, "..", "..", "..", "src", "browser", "page", "two-copies.ts");
const CJS_CORE = require.resolve("@tensorflow/tfjs-core/dist/tf-core.node.js", { paths: [APP_DIR] });
const HTML = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>two copies of tfjs-core</title><script type="module" src="/app.js"></script>`;

interface Built {
  code: string;
  /** Bundled files, relative to APP_DIR's parent (the repository root), with the files each imports. */
  inputs: Record<string, { imports: Array<{ path: string }> }>;
}

/** esbuild, --platform=browser, with @tensorflow/tfjs-layers' imports of tfjs-core sent to the CommonJS build. */
async function bundle(): Promise<Built> {
  const esbuild = (await importEsm("esbuild")) as unknown as typeof import("esbuild");
  // The CommonJS build is loaded under a namespace of its own: had esbuild's resolver seen that
  // file (the package's `main`) imported, it would send every import of the package there, one
  // copy again (esbuild avoids the dual-package hazard that way; other bundlers and setups don't).
  const NS = "tfjs-core-cjs";
  const layersToCjs: import("esbuild").Plugin = {
    name: "tfjs-layers-gets-the-cjs-build",
    setup(b) {
      const cjs = { path: CJS_CORE, namespace: NS };
      b.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, (args) => (/[\\/]@tensorflow[\\/]tfjs-layers[\\/]/.test(args.importer) ? cjs : undefined));
      b.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\/tf-core\.node\.js$/ }, () => cjs);
      b.onLoad({ filter: /.*/, namespace: NS }, (args) => ({ contents: readFileSync(args.path, "utf8"), loader: "js", resolveDir: path.dirname(args.path) }));
    },
  };
  const r = await esbuild.build({
    entryPoints: [PAGE_SOURCE],
    absWorkingDir: path.resolve(APP_DIR, ".."),
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [layersToCjs],
  });
  return { code: r.outputFiles[0].text, inputs: r.metafile.inputs };
}

let built: Built;
let server: StaticServer | undefined;
let browser: Browser | undefined;
let page: Page;
const errors: string[] = [];
const call = <K extends keyof TwoCopiesApi>(fn: K, ...args: Parameters<TwoCopiesApi[K]>): Promise<Awaited<ReturnType<TwoCopiesApi[K]>>> =>
  page.evaluate(([f, a]) => (globalThis as unknown as { twoCopies: Record<string, (...x: unknown[]) => unknown> }).twoCopies[f as string](...(a as unknown[])), [fn, args] as const) as never;

test.before(async () => {
  built = await bundle();
  server = await serveStatic({ "/index.html": HTML, "/app.js": built.code });
  browser = await launchChromium();
  page = await browser.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(server.url);
  await page.waitForFunction(() => "twoCopies" in globalThis);
});

test.after.always(async () => {
  await browser?.close();
  await server?.close();
});

test.serial("the bundle holds both builds of tfjs-core: tfjs-layers imports the CommonJS one, tfjs and flatfit the ES-module one", (t) => {
  const files = Object.keys(built.inputs);
  /** Which build a bundled path is (the CommonJS one is under the plugin's namespace: "tfjs-core-cjs:/…"). */
  const build = (f: string) => (/tfjs-core\/dist\/tf-core\.node\.js$/.test(f) ? "cjs" : /tfjs-core\/dist\/index\.js$/.test(f) ? "esm" : undefined);
  t.deepEqual(files.map(build).filter(Boolean).sort(), ["cjs", "esm"], "both entry files bundled, once each");
  t.true(files.some((f) => /tfjs-core\/dist\/engine\.js$/.test(f)), "the ES-module build's own engine.js bundled beside the CommonJS bundle");
  const coreImports = (from: RegExp) => [...new Set(files.filter((f) => from.test(f)).flatMap((f) => built.inputs[f].imports.map((i) => build(i.path)).filter(Boolean)))];
  t.deepEqual(coreImports(/tfjs-layers\/dist\//), ["cjs"], "tfjs-layers gets the CommonJS build");
  t.deepEqual(coreImports(/@tensorflow\/tfjs\/dist\//), ["esm"], "@tensorflow/tfjs (and so flatfit) gets the ES-module build");
  t.deepEqual(coreImports(/tfjs-backend-webgl\/dist\//), ["esm"], "the webgl backend gets the ES-module build");
});

test.serial("in the page: two sets of classes, one shared engine, and the model's variables are the CommonJS copy's (not flatfit's copy's)", async (t) => {
  const c = await call("copies");
  t.true(c.variableClassesDiffer, "two Variable classes");
  t.true(c.tensorClassesDiffer, "two Tensor classes");
  t.true(c.tidyDiffers, "two sets of functions");
  t.true(c.sharedEngine, "one engine, shared through the global");
  t.true(c.umbrellaIsEsm, "@tensorflow/tfjs (which flatfit imports) is the ES-module copy");
  t.is(c.movingMeanClass, "cjs", "a BatchNorm moving mean is an instance of the CommonJS copy's Variable");
  t.is(c.esmVariableClass, "cjs", "even tf.variable of the ES-module copy makes one: the CommonJS copy made the engine");
  const assigns = await call("assignsInFit");
  t.true(assigns.cjs > 0, `a plain fit step assigns through the CommonJS copy's Variable.prototype (${assigns.cjs} calls)`);
  t.log(`Variable.prototype.assign calls in one plain fit step: CommonJS copy ${assigns.cjs}, ES-module copy ${assigns.esm}`);
  t.is(assigns.esm, 0, "and never through the ES-module copy's: a guard patching flatfit's copy's prototype would miss every one");
  t.deepEqual(errors, []);
});

const METHODS: Array<{ name: string; spec: Spec }> = [
  { name: "hero", spec: { use: "hero", h: 0.5, gamma: 0.1 } },
  { name: "nso", spec: { use: "nso", sigma: 0.05 } },
];

for (const backend of ["webgl", "cpu"]) {
  for (const { name, spec } of METHODS) {
    test.serial(`${backend}: ${name} at learning rate 0 leaves every weight and BatchNorm statistic bit-identical to plain fit's`, async (t) => {
      const r = await call("train", backend, spec);
      t.is(r.backend, backend);
      t.is(r.steps, 3, "48 rows in batches of 16");
      t.true(r.evaluations >= 2, `the closure ran ${r.evaluations} times per step (so the guard had extra calls to undo)`);
      t.true(r.bnMoved, "plain fit moved the BatchNorm statistics (so comparing them means something)");
      const stats = Object.entries(r.maxDifference)
        .filter(([n]) => /moving_/.test(n))
        .map(([n, d]) => `${n}: ${d.toExponential(2)}`)
        .join(", ");
      t.log(`${r.evaluations} closure calls per step; largest difference to plain fit: ${stats}`);
      t.true(r.weightsEqual, `bit-identical to plain fit (first difference: ${r.firstDifference}; ${stats})`);
      t.deepEqual(errors, []);
    });
  }
}
