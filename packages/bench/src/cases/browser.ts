/**
 * Each gradient method's step-time ratio to plain `model.fit` on tfjs's GPU backends, webgl and
 * webgpu, in headless Chromium (Debian's; see @flatfit/testing/chromium), both in this one run:
 * the page (src/browser/page.ts) is bundled with esbuild and served from 127.0.0.1. On a machine
 * without a GPU both backends run on SwiftShader (a CPU emulation): absolute times say nothing
 * there; ratios and device→host reads per step do.
 */
import * as path from "node:path";
import { build } from "esbuild";
import { launchChromium, serveStatic } from "@flatfit/testing/chromium";
import type { BrowserEntry, BrowserRow } from "../browser/page";
import { table } from "../timing";

const PAGE = path.resolve(__dirname, "..", "..", "..", "src", "browser", "page.ts");
export const BACKENDS = ["webgl", "webgpu"] as const;
const EXAMPLES = 512;
const BATCH = 64;

/** As the cpu bench's plugin entries, plus flatfit with no plugins. */
export const BROWSER_ENTRIES: BrowserEntry[] = [
  { label: "no plugins (`ff.wrap` + `ff.callbacks()`)", plugins: [], target: 1.03 },
  { label: "pertopt", plugins: [{ use: "pertopt" }], target: 1.5 },
  { label: "grad-l1", plugins: [{ use: "grad-l1", lambda: 0.01 }], target: 2.3 },
  { label: "nso (k = 1)", plugins: [{ use: "nso", sigma: 0.01, samples: 1 }], target: 2.5 },
  { label: "hero", plugins: [{ use: "hero", h: 0.5, gamma: 0.1 }], target: 3.3 },
  { label: "seht (samples 1)", plugins: [{ use: "seht", lambda: 0.01, samples: 1 }], target: 3.3 },
  { label: "seht (every 10)", plugins: [{ use: "seht", lambda: 0.01, samples: 1, every: 10 }], target: 1.4 },
];

type PageBench = { setup(b: string): Promise<string>; run(e: BrowserEntry[], o: { repeats: number; examples: number; batchSize: number }): Promise<BrowserRow[]> };

export async function browserCase(repeats: number): Promise<string> {
  const bundle = await build({ entryPoints: [PAGE], bundle: true, platform: "browser", format: "esm", minify: true, write: false, logLevel: "warning" });
  const server = await serveStatic({
    "/index.html": `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/app.js"></script>`,
    "/app.js": bundle.outputFiles[0].text,
  });
  const browser = await launchChromium();
  const results = new Map<string, BrowserRow[]>();
  let version = "";
  try {
    version = browser.version();
    for (const backend of BACKENDS) {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(server.url);
      await page.waitForFunction(() => "flatfitBench" in globalThis);
      const call = <T>(fn: keyof PageBench, ...args: unknown[]) =>
        page.evaluate(([f, a]) => (globalThis as unknown as { flatfitBench: Record<string, (...x: unknown[]) => unknown> }).flatfitBench[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;
      const got = await call<string>("setup", backend);
      if (got !== backend) throw new Error(`page runs ${got}, not ${backend}`);
      results.set(backend, await call<BrowserRow[]>("run", BROWSER_ENTRIES, { repeats, examples: EXAMPLES, batchSize: BATCH }));
      if (errors.length) throw new Error(`${backend} page errors: ${errors.join("; ")}`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const [gl, gpu] = BACKENDS.map((b) => results.get(b)!);
  const mark = (r: number, t?: number) => (t === undefined ? "" : r <= t ? "✓" : "✗");
  const rows = gl.map((row, i) => [
    row.label,
    row.ms.toFixed(1),
    `${row.ratio.toFixed(2)} ${mark(row.ratio, row.target)}`.trim(),
    gpu[i].ms.toFixed(1),
    `${gpu[i].ratio.toFixed(2)} ${mark(gpu[i].ratio, row.target)}`.trim(),
    `${row.readsPerStep} / ${gpu[i].readsPerStep}`,
    `${Math.round(row.programsPerStep)} / ${Math.round(gpu[i].programsPerStep)}`,
    row.target === undefined ? "" : `≤ ${row.target}`,
  ]);
  return [
    `### Plugins inside \`model.fit\` on GPU backends in Chromium ${version}: MLP 784-128-64-10, batch ${BATCH}, ${EXAMPLES} examples, median of ${repeats}`,
    "",
    table(["method", "webgl ms / step", "webgl ratio", "webgpu ms / step", "webgpu ratio", "reads / step (webgl / webgpu)", "GPU programs / step (webgl / webgpu)", "target"], rows),
    "",
    "Both backends in one run, variants interleaved within each backend; reads are device→host reads counted",
    "at the backend (`read`/`readSync`) inside `optimizer.minimize`. Headless Chromium here has no GPU: webgl",
    "and webgpu run on SwiftShader, a CPU emulation, so only the ratios and read counts carry over to a GPU.",
    "GPU programs are the shader dispatches a step makes (`runWebGLProgram` / `runWebGPUProgram` calls, counted",
    "like the reads): beyond the gradient evaluations they count the methods' own per-parameter arithmetic: one",
    "shader program per fused-kernel call (`installBackendExtras()` from @flatfit/backends, which the page calls;",
    "a sum is one or two on webgl); PertOPT draws its perturbation inside its perturbed-weights program.",
  ].join("\n");
}
