/**
 * Before the report tests: make sure Debian's chromium is there for the headless-browser test.
 * On a machine where we are root with apt-get (CI, fresh project machines) it is installed;
 * elsewhere this fails with what to install. Set CHROMIUM_PATH to use another browser build.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function main(): void {
  if (existsSync(CHROMIUM)) return;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || !existsSync("/usr/bin/apt-get")) {
    console.error(`The report test needs Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
    process.exit(1);
  }
  console.log("installing Debian's chromium for the headless report test (apt-get install chromium)…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
}

if (require.main === module) main();
