/**
 * backend "auto" in a fresh Node process (nothing started a backend yet), with neither
 * tfjs-node package installed: wasm with @flatfit/backends' kernels when both are installed,
 * the app's own backend when it set one, cpu with a note when wasm lacks its kernels.
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/** Runs `body` (CommonJS, `tf` and `createFlatfit` in scope) in a child process; its JSON output. */
function inFreshProcess(body: string, preload?: string): Record<string, unknown> {
  const dir = mkdtempSync(path.join(tmpdir(), "flatfit-auto-"));
  const file = path.join(dir, "main.js");
  const req = (id: string) => JSON.stringify(require.resolve(id));
  writeFileSync(
    file,
    `require(${req("reflect-metadata")});\nconst tf = require(${req("@tensorflow/tfjs")});\nconst { createFlatfit } = require(${req("@flatfit/core")});\n` +
      `(async () => {\n${body}\n})().catch((e) => { console.log(JSON.stringify({ error: String(e.message) })); });\n`,
  );
  const args = preload ? ["--require", preload, file] : [file];
  const out = execFileSync(process.execPath, args, { encoding: "utf8", cwd: dir });
  return JSON.parse(out.trim().split("\n").pop()!);
}

const TRAIN_CNN = `
  const lines = [];
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "hero" }] }, { logSink: (_l, m) => lines.push(m) });
  const m = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: "softmax" })] });
  m.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  ff.attach(m);
  const h = await m.fit(tf.randomNormal([8, 6, 6, 1], 0, 1, "float32", 1), tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], "int32"), 2), { epochs: 2, verbose: 0 });
  console.log(JSON.stringify({ backend: tf.getBackend(), line: lines.find((l) => l.startsWith("backend:")), loss: h.history.loss }));
`;

test("auto picks wasm, with @flatfit/backends' kernels, when nothing started a backend: a CNN trains with hero", (t) => {
  const r = inFreshProcess(TRAIN_CNN);
  t.is(r.error, undefined);
  t.is(r.backend, "wasm");
  t.is(r.line, "backend: wasm (@tensorflow/tfjs-backend-wasm with @flatfit/backends' kernels, single-threaded in Node)");
  const loss = r.loss as number[];
  t.true(loss.every(Number.isFinite), `loss ${loss}`);
});

/** What the line says when the app started a backend itself and wasm with its kernels is installed. */
const KEPT_CPU =
  /^backend: cpu \(@tensorflow\/tfjs; the app had already initialized the cpu backend before createFlatfit \(tf\.setBackend, or a tensor created first\), so flatfit keeps it; to train on wasm \(installed\), call createFlatfit before creating any tensor, or await tf\.setBackend\("wasm"\) before createFlatfit\)$/;

test("auto keeps the backend the app set (tf.setBackend before createFlatfit), and says so", (t) => {
  const r = inFreshProcess(`await tf.setBackend("cpu");\n${TRAIN_CNN}`);
  t.is(r.backend, "cpu");
  t.regex(String(r.line), KEPT_CPU);
});

test("auto after the app created a tensor (tfjs started cpu): the line says the app's backend is kept and how to get wasm, not to install it", (t) => {
  const r = inFreshProcess(`tf.tensor1d([1, 2, 3]).dispose();\n${TRAIN_CNN}`);
  t.is(r.error, undefined);
  t.is(r.backend, "cpu");
  t.regex(String(r.line), KEPT_CPU);
  t.notRegex(String(r.line), /install @/, "wasm is installed: nothing to install");
});

test("auto after the app's own tf.setBackend(\"wasm\"): wasm is kept and gets @flatfit/backends' kernels, so a CNN trains", (t) => {
  const r = inFreshProcess(`require(${JSON.stringify(require.resolve("@tensorflow/tfjs-backend-wasm"))});\nawait tf.setBackend("wasm");\n${TRAIN_CNN}`);
  t.is(r.error, undefined);
  t.is(r.backend, "wasm");
  t.is(r.line, "backend: wasm (@tensorflow/tfjs-backend-wasm with @flatfit/backends' kernels, single-threaded in Node)");
  t.true((r.loss as number[]).every(Number.isFinite), `loss ${r.loss}`);
});

test("auto with wasm installed but not @flatfit/backends: cpu, and the line says what to install", (t) => {
  // a preload that makes @flatfit/backends unresolvable, as in an app that did not install it
  const dir = mkdtempSync(path.join(tmpdir(), "flatfit-noextras-"));
  const preload = path.join(dir, "hide.js");
  writeFileSync(
    preload,
    `const Module = require("module"); const orig = Module._resolveFilename;\n` +
      `Module._resolveFilename = function (request, ...rest) { if (request === "@flatfit/backends") { const e = new Error("Cannot find module '@flatfit/backends'"); e.code = "MODULE_NOT_FOUND"; throw e; } return orig.call(this, request, ...rest); };\n`,
  );
  const r = inFreshProcess(
    `const lines = []; const ff = await createFlatfit({}, { logSink: (_l, m) => lines.push(m) });\nconsole.log(JSON.stringify({ backend: tf.getBackend(), line: lines.find((l) => l.startsWith("backend:")) }));`,
    preload,
  );
  t.is(r.backend, "cpu");
  t.regex(String(r.line), /@tensorflow\/tfjs-backend-wasm is installed without @flatfit\/backends, whose kernels wasm needs to train convolutions; install @flatfit\/backends/);
});
