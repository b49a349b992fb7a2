import test from "ava";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { EvalRow } from "@flatfit/core";
import { tCritical } from "@flatfit/report";
import { compareBefore } from "./helpers";

// Three seeds of two cheap methods on tiny data, quantized two ways (per tensor and per channel,
// BatchNorm folded), with the second method as the baseline.
const SEEDS = [1, 2, 3];
const VARIANTS = ["float32", "4bit-tensor", "2bit-tensor", "4bit-channel", "2bit-channel"];
const cmp = compareBefore(
  "flatfit-compare-diff-",
  `
name: diff
model: { name: mlp, hidden: [12], batchNorm: true }
data: { name: mnist, trainLimit: 120, testLimit: 60, layout: flat }
epochs: 1
batchSize: 20
seeds: [1, 2, 3]
workers: 2
curvature: false
landscape: false
evaluate:
  bits: [4, 2]
  foldBatchNorm: true
  setups:
    - { name: tensor }
    - { name: channel, granularity: channel }
baseline: slow
methods:
  - { name: fast, optimizer: { name: sgd, learningRate: 0.3 } }
  - { name: slow, optimizer: { name: sgd, learningRate: 0.02 } }
`,
);

const evaluation = (method: string, seed: number): EvalRow[] => JSON.parse(readFileSync(path.join(cmp.out, "runs", `${method}-seed${seed}`, "evaluation.json"), "utf8"));

test("every run is evaluated with each setup at each bit-width, and the table has a column per setup and bit-width (no tr H column: curvature is off)", (t) => {
  t.is(cmp.result.code, 0, cmp.result.stderr);
  for (const m of ["fast", "slow"]) for (const s of SEEDS) t.deepEqual(evaluation(m, s).map((r) => r.variant), VARIANTS, `${m} seed ${s}`);
  t.regex(cmp.result.stdout, /^method +float32 acc \(%\) +4bit-tensor acc \(%\) +2bit-tensor acc \(%\) +4bit-channel acc \(%\) +2bit-channel acc \(%\) +s \/ epoch$/m);
  t.deepEqual(cmp.report.quantization?.map((q) => [q.name, q.bits]), [["tensor", [4, 2]], ["channel", [4, 2]]]);
  t.regex(cmp.report.setup['quantization "channel"'], /symmetric, per-channel, kernels only, BatchNorm folded first, at 4, 2 bits/);
});

test("the printed table gives each method's paired difference to the baseline per column, with a 95% interval", (t) => {
  t.regex(cmp.result.stdout, /difference to slow, paired by seed: mean over 3 seeds \[95% confidence interval, Student t with 2 degrees of freedom\]; \* = the interval excludes 0:/);
  t.regex(cmp.result.stdout, /^method +Δ float32 acc \(points\) +Δ 4bit-tensor acc \(points\) +Δ 2bit-tensor acc \(points\) +Δ 4bit-channel acc \(points\) +Δ 2bit-channel acc \(points\) +Δ s \/ epoch$/m);
  const table = cmp.result.stdout.slice(cmp.result.stdout.indexOf("difference to slow")).split("\n");
  const row = table.find((l) => /^fast /.test(l))!;
  t.truthy(row);
  const cells = row.slice(4).trim().split(/ {2,}/);
  t.is(cells.length, 6, "no Δ tr H column: no Hessian trace was measured");
  for (const c of cells.slice(0, 5)) t.regex(c, /^([+-]?\d+\.\d\d \[[+-]?\d+\.\d\d, [+-]?\d+\.\d\d\]( \*)?)$/);
  t.false(table.some((l) => /^slow /.test(l)), "the baseline has no difference row");
});

test("the differences are the paired t-intervals of the runs' own numbers, seed by seed", (t) => {
  t.is(cmp.report.baseline, "slow");
  const [fast, slow] = cmp.report.methods;
  t.is(slow.differences, undefined);
  for (const v of VARIANTS) {
    const d = fast.differences![`acc@${v}`];
    const diffs = SEEDS.map((s) => evaluation("fast", s).find((r) => r.variant === v)!.metrics.acc - evaluation("slow", s).find((r) => r.variant === v)!.metrics.acc);
    const mean = diffs.reduce((a, b) => a + b, 0) / 3;
    const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
    const half = 4.302652729749464 * (sd / Math.sqrt(3)); // t(0.975, 2)
    t.deepEqual(d.values, diffs, v);
    t.true(Math.abs(d.mean - mean) < 1e-12, v);
    t.true(Math.abs(d.lo! - (mean - half)) < 1e-9 && Math.abs(d.hi! - (mean + half)) < 1e-9, v);
    t.is(d.distinguishable, d.lo! > 0 || d.hi! < 0);
  }
  t.true(Math.abs(tCritical(0.95, 2) - 4.302652729749464) < 1e-12);
});

test("report.html has the difference table and says in words what it shows", (t) => {
  const html = readFileSync(path.join(cmp.out, "report.html"), "utf8");
  t.regex(html, /<h2>Differences to slow \(paired by seed\)<\/h2>/);
  t.regex(html, /data-words="differences">Each method is compared with slow seed by seed .* over 3 seeds, with a 95% confidence interval for the mean difference\./);
  t.regex(html, /data-chart="accuracy-vs-bits"><svg/);
});
