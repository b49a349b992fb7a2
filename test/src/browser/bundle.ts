/**
 * Bundling for the browser with default settings, as a user's app would: esbuild (used by the
 * Chromium harness too), Vite and webpack. Each returns the bundle and what it exports.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { APP_DIR, importEsm } from "./packages";

export interface Bundle {
  code: string;
  /** Names the entry exports (esbuild and Vite). */
  exports: string[];
}

/**
 * esbuild, --platform=browser --format=esm: `entry` is module source (resolved from the test
 * workspace) or `{ file }`, a module on disk (TypeScript included).
 */
export async function esbuildBrowser(entry: string | { file: string }, opts: { minify?: boolean } = {}): Promise<Bundle> {
  const { build } = (await importEsm("esbuild")) as unknown as typeof import("esbuild");
  const r = await build({
    ...(typeof entry === "string" ? { stdin: { contents: entry, resolveDir: APP_DIR, loader: "js" as const } } : { entryPoints: [entry.file] }),
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    minify: opts.minify ?? false,
    logLevel: "silent",
  });
  const out = Object.values(r.metafile!.outputs)[0];
  return { code: r.outputFiles![0].text, exports: out.exports };
}

function tempEntry(entry: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(APP_DIR, ".bundle-"));
  const file = path.join(dir, "entry.js");
  writeFileSync(file, entry);
  return { dir, file };
}

/** Vite's production build (library mode, ES format), defaults otherwise. */
export async function viteBrowser(entry: string): Promise<Bundle> {
  const { build } = (await importEsm("vite")) as { build: (c: unknown) => Promise<unknown> };
  const { dir, file } = tempEntry(entry);
  try {
    const res = (await build({
      root: dir,
      configFile: false,
      logLevel: "silent",
      build: { lib: { entry: file, formats: ["es"], fileName: "out" }, write: false, minify: false },
    })) as Array<{ output: Array<{ type: string; code?: string; exports?: string[]; isEntry?: boolean }> }> | { output: Array<{ type: string; code?: string; exports?: string[]; isEntry?: boolean }> };
    const outputs = Array.isArray(res) ? res[0].output : res.output;
    const chunk = outputs.find((o) => o.type === "chunk" && o.isEntry)!;
    return { code: chunk.code!, exports: chunk.exports ?? [] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** webpack 5 with its defaults (mode production, target web), to a temporary folder. */
export async function webpackBrowser(entry: string): Promise<Bundle> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const webpack = require("webpack") as (c: unknown, cb: (err: Error | null, stats?: { hasErrors(): boolean; toJson(o: unknown): { errors?: Array<{ message: string }> } }) => void) => void;
  const { dir, file } = tempEntry(entry);
  try {
    await new Promise<void>((resolve, reject) =>
      webpack({ entry: file, context: APP_DIR, output: { path: path.join(dir, "out"), filename: "out.js" }, performance: { hints: false } }, (err, stats) => {
        if (err) return reject(err);
        if (stats!.hasErrors()) return reject(new Error(stats!.toJson({ errors: true }).errors!.map((e) => e.message).join("\n")));
        resolve();
      }),
    );
    return { code: readFileSync(path.join(dir, "out", "out.js"), "utf8"), exports: [] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
