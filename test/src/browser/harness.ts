/**
 * The browser harness: bundles page/main.ts with esbuild (the packages' browser builds, as an
 * app gets them), serves it from 127.0.0.1, opens it in headless Chromium on a chosen tfjs
 * backend, and calls the page's checks. Console errors and page errors are collected.
 */
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { esbuildBrowser } from "./bundle";
import type { PageApi } from "./page/main";
import { launchChromium, serveStatic, type StaticServer } from "@flatfit/testing/chromium";

const PAGE_SOURCE = path.resolve(__dirname, "..", "..", "..", "src", "browser", "page", "main.ts");
/** What Chromium's WebGPU validation messages say (Dawn): "[Invalid ComputePipeline …]", "While validating …". */
const WEBGPU_VALIDATION = /\[Invalid [A-Za-z]+|While (validating|calling|encoding|finishing) /;
const HTML = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>flatfit browser tests</title><script type="module" src="/app.js"></script>`;

export interface BackendPage {
  backend: string;
  adapter?: string;
  /** What flatfit logged at createFlatfit on this page. */
  log: string[];
  /** What the backend counter saw for one add and one data() on this backend. */
  probe: { reads: number; programs: number };
  errors: string[];
  call<K extends keyof PageApi>(fn: K, ...args: Parameters<PageApi[K]>): Promise<Awaited<ReturnType<PageApi[K]>>>;
}

export class BrowserHarness {
  private constructor(
    private readonly browser: Browser,
    private readonly server: StaticServer,
    private readonly pages: Page[] = [],
  ) {}

  static async start(): Promise<BrowserHarness> {
    const bundle = await esbuildBrowser({ file: PAGE_SOURCE });
    const server = await serveStatic({ "/index.html": HTML, "/app.js": bundle.code });
    try {
      return new BrowserHarness(await launchChromium(), server);
    } catch (err) {
      await server.close();
      throw err;
    }
  }

  /** A fresh page on `backend` ("webgl", "webgpu", "cpu"). */
  async open(backend: string): Promise<BackendPage> {
    const page = await this.browser.newPage();
    this.pages.push(page);
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
      // Chromium reports WebGPU validation errors (an invalid pipeline: its command buffer is
      // dropped, and every op in it gives garbage) as console warnings: they are errors here.
      else if (m.type() === "warning" && WEBGPU_VALIDATION.test(m.text())) errors.push(`WebGPU validation: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(this.server.url);
    await page.waitForFunction(() => "flatfitPage" in globalThis);
    const call = ((fn: string, ...args: unknown[]) =>
      page.evaluate(
        ([f, a]) => ((globalThis as unknown as { flatfitPage: Record<string, (...x: unknown[]) => unknown> }).flatfitPage[f as string](...(a as unknown[]))),
        [fn, args] as const,
      )) as BackendPage["call"];
    const info = await call("setup", backend);
    return { ...info, errors, call };
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.server.close();
  }
}
