/**
 * `@flatfit/testing/chromium` (Node only): Debian's Chromium for browser tests and benchmarks,
 * driven by playwright-core (an optional peer): installed with apt-get when missing (as root, as
 * CI and the project machines run; the report test does the same), launched headless with WebGPU
 * enabled and no background networking (a closed network refuses it). Without a GPU, WebGL runs
 * on SwiftShader, and WebGPU gives a SwiftShader adapter on an http://127.0.0.1 page (served by
 * `serveStatic`), not on about:blank or file://.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless=new",
  "--enable-unsafe-webgpu",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Installs Debian's chromium when it is missing (needs root and apt-get), or says what to install. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || !existsSync("/usr/bin/apt-get")) {
    throw new Error(`The browser checks need Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
  }
  console.log("installing Debian's chromium for the browser checks (apt-get install chromium)…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
}

/** A headless Chromium (playwright gives it a new, empty profile). */
export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  // headless: false because the flag is passed explicitly: --headless=new is the mode WebGPU works in
  return chromium.launch({ executablePath: CHROMIUM, headless: false, args: CHROMIUM_ARGS });
}

export { serveStatic, type StaticServer } from "./static-server";
export { viewPage, type PageView, type RenderedChart } from "./page-view";
