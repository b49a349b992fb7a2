import test from "ava";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { EvalRow } from "@flatfit/core";
import { stat, pct } from "@flatfit/report";
import { compareBefore } from "./helpers";
import { CHROMIUM, viewPage } from "@flatfit/testing/chromium";

const cmp = compareBefore(
  "flatfit-compare-",
  `
name: tiny
title: "tiny comparison"
model: { name: mlp, hidden: [16] }
data: { name: mnist, trainLimit: 200, testLimit: 100, layout: flat }
epochs: 2
batchSize: 20
seeds: [1, 2]
workers: 2
evaluate: { bits: [8, 6, 5, 4], perEpoch: true }
curvature: { samples: 3, maxSamples: 50, perEpoch: 2 }
landscape: { steps: 5, maxSamples: 50 }
methods:
  - { name: SGD, plugins: [] }
  - { name: HERO, plugins: [{ use: hero, gamma: 0.1 }] }
`,
);

test("compare prints the summary table and the report's path, and writes results.json and a run per method and seed", (t) => {
  t.is(cmp.result.code, 0, cmp.result.stderr);
  t.regex(cmp.result.stdout, /^4 trainings \(2 methods × 2 seeds\) of .*, 2 epochs each; 2 at a time$/m);
  t.regex(cmp.result.stdout, /^tiny comparison — test accuracy \(%\) after quantization to each bit-width, mean ± std over 2 seed\(s\)$/m);
  t.regex(cmp.result.stdout, /^method +float32 acc \(%\) +8bit acc \(%\) +6bit acc \(%\) +5bit acc \(%\) +4bit acc \(%\) +tr H +s \/ epoch$/m);
  t.regex(cmp.result.stdout, /^SGD +\d+\.\d\d ± \d+\.\d\d /m);
  t.regex(cmp.result.stdout, /^HERO +\d+\.\d\d ± \d+\.\d\d /m);
  t.true(cmp.result.stdout.trimEnd().endsWith(`report: ${path.join(cmp.out, "report.html")}`));
  for (const run of ["SGD-seed1", "SGD-seed2", "HERO-seed1", "HERO-seed2"]) t.true(existsSync(path.join(cmp.out, "runs", run, "model", "model.json")), run);
  t.deepEqual(cmp.report.methods.map((m) => m.name), ["SGD", "HERO"]);
  t.deepEqual(cmp.report.methods[1].plugins, [{ use: "hero", gamma: 0.1 }]);
});

test("the numbers are mean ± std over the seeds of each run's own evaluation", (t) => {
  for (const m of cmp.report.methods) {
    const runs = [1, 2].map((s) => JSON.parse(readFileSync(path.join(cmp.out, "runs", `${m.name}-seed${s}`, "evaluation.json"), "utf8")) as EvalRow[]);
    t.deepEqual(m.evaluation.map((e) => e.variant), ["float32", "8bit", "6bit", "5bit", "4bit"]);
    for (const e of m.evaluation) {
      const values = runs.map((rows) => rows.find((r) => r.variant === e.variant)!.metrics.acc);
      t.deepEqual(e.metrics.acc.values, values);
      t.is(pct(e.metrics.acc), pct(stat(values)));
    }
    t.is(m.histories.length, 2);
    for (const h of m.histories) {
      t.is(h.length, 2);
      t.true(h.every((e) => Number.isFinite(e.hessian_trace) && Number.isFinite(e["val_acc@4bit"])), "the trace and (evaluate.perEpoch) the quantized accuracy are logged each epoch");
    }
    t.is(m.hessianTrace!.values.length, 2);
    t.is(m.secondsPerEpoch.values.length, 2);
    t.is(m.landscape!.values.length, 5);
    t.true(m.landscape!.values.every((row) => row.length === 5 && row.every(Number.isFinite)));
  }
});

test("report.html loads in headless Chromium without console errors, and every chart has rendered marks", async (t) => {
  t.true(existsSync(CHROMIUM), `the report test needs Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const page = await viewPage(path.join(cmp.out, "report.html"));
  t.deepEqual(page.errors, []);
  t.deepEqual(page.requests.filter((u) => !u.startsWith("file:")), [], "the page loads nothing from the network");
  t.deepEqual(page.charts.map((c) => c.name), ["accuracy-vs-bits", "loss-per-epoch", "accuracy-per-epoch", "hessian-trace", "landscape-SGD", "landscape-HERO"]);
  for (const c of page.charts) {
    t.true(c.marks > 0, `${c.name} has no rendered marks`);
    t.true(c.width > 100, `${c.name} is not laid out`);
  }
  t.regex(page.tables[1], /HERO/);
});
