/**
 * Debian's Chromium for the browser tests, driven by playwright-core: installed with apt-get
 * when missing (as root, as CI and the project machines run; the report test does the same),
 * launched headless with WebGPU enabled and no background networking (this machine's network is
 * closed). WebGL runs on SwiftShader; WebGPU gives a SwiftShader adapter on an http://127.0.0.1 page.
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
    throw new Error(`The browser tests need Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
  }
  console.log("installing Debian's chromium for the browser tests (apt-get install chromium)…");
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

if (require.main === module) ensureChromium();
