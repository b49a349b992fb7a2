import test from "ava";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, isBackendRegistered, selectBackend, Logger } from "@flatfit/core";

/**
 * A folder whose node_modules holds a fake `@tensorflow/tfjs-node` (an app that aliases it, or a
 * broken install): it resolves and loads; `registers` says whether it registers "tensorflow".
 */
function fakeNativeApp(registers: boolean): string {
  const dir = mkdtempSync(path.join(tmpdir(), "flatfit-backend-"));
  const pkg = path.join(dir, "node_modules", "@tensorflow", "tfjs-node");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "@tensorflow/tfjs-node", version: "4.22.0", main: "index.js" }));
  const tfPath = JSON.stringify(require.resolve("@tensorflow/tfjs"));
  const cpuPath = JSON.stringify(require.resolve("@tensorflow/tfjs-backend-cpu"));
  writeFileSync(
    path.join(pkg, "index.js"),
    registers
      ? `const tf = require(${tfPath}); const { MathBackendCPU } = require(${cpuPath});\n` +
          `tf.registerBackend("tensorflow", () => new MathBackendCPU(), 0);\nmodule.exports = tf;\n`
      : `module.exports = require(${tfPath});\n`,
  );
  return dir;
}

async function inFolder<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(before);
    rmSync(dir, { recursive: true, force: true });
  }
}

test.serial('backend "auto": a tfjs-node that resolves but registers nothing keeps the current backend and says why', async (t) => {
  await tf.setBackend("cpu");
  t.false(isBackendRegistered("tensorflow"));
  const lines: string[] = [];
  const ff = await inFolder(fakeNativeApp(false), () =>
    createFlatfit({ backend: "auto" }, { logSink: (_l, m) => lines.push(m) }),
  );
  t.is(tf.getBackend(), "cpu");
  const line = lines.find((l) => l.startsWith("backend:"));
  t.truthy(line);
  t.regex(line!, /^backend: cpu \(@tensorflow\/tfjs; @tensorflow\/tfjs-node loads but registers no "tensorflow" backend/);
  ff.dispose();
});

test.serial('backend "tensorflow": the same app gets an error naming the packages and why', async (t) => {
  await tf.setBackend("cpu");
  const err = await inFolder(fakeNativeApp(false), () => selectBackend("tensorflow", new Logger("silent")).then(() => undefined, (e: Error) => e));
  t.truthy(err);
  t.regex(err!.message, /backend "tensorflow" is not registered with tfjs \(@tensorflow\/tfjs-node loads but registers no "tensorflow" backend\)/);
  t.regex(err!.message, /install @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node/);
  t.is(tf.getBackend(), "cpu");
});

test.serial('backend "auto": a tfjs-node that registers "tensorflow" is picked and named', async (t) => {
  await tf.setBackend("cpu");
  const lines: string[] = [];
  try {
    const name = await inFolder(fakeNativeApp(true), () => selectBackend("auto", new Logger("info", (_l, m) => lines.push(m))));
    t.is(name, "tensorflow");
    t.is(tf.getBackend(), "tensorflow");
    t.true(lines.includes("backend: tensorflow (@tensorflow/tfjs-node)"), lines.join("\n"));
  } finally {
    await tf.setBackend("cpu");
    tf.removeBackend("tensorflow");
  }
  t.false(isBackendRegistered("tensorflow"));
});

test.serial("a backend name flatfit does not know is refused with the accepted values", async (t) => {
  const bad = await selectBackend("gpu" as never, new Logger("silent")).then(() => undefined, (e: Error) => e);
  t.regex(bad!.message, /backend "gpu" is not one of: auto, tensorflow, cpu, wasm, webgl, webgpu/);
});

test.serial('backend "auto": a tfjs-node that is installed but throws on load is named with its error, and the current backend stays', async (t) => {
  await tf.setBackend("cpu");
  const dir = fakeNativeApp(false);
  writeFileSync(path.join(dir, "node_modules", "@tensorflow", "tfjs-node", "index.js"), 'throw new Error("libtensorflow.so.2: cannot open shared object file");\n');
  const lines: string[] = [];
  const name = await inFolder(dir, () => selectBackend("auto", new Logger("info", (_l, m) => lines.push(m))));
  t.is(name, "cpu");
  t.true(
    lines.some((l) => l.includes("@tensorflow/tfjs-node is installed but failed to load: libtensorflow.so.2: cannot open shared object file")),
    lines.join("\n"),
  );
});
