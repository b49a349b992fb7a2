import test from "ava";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { compareBefore, runBin, writeConfig } from "./helpers";

// Two methods that differ only in batch size (a method's own `batchSize`), with `trainLoss: true`:
// every run is also evaluated on its training split, and the table gets a test−train loss column.
const SEEDS = [1, 2];
const cmp = compareBefore(
  "flatfit-compare-bs-",
  `
name: bs
model: { name: mlp, hidden: [12] }
data: { name: mnist, trainLimit: 100, testLimit: 50, layout: flat }
epochs: 1
batchSize: 20
seeds: [1, 2]
workers: 2
trainLoss: true
curvature: false
landscape: false
evaluate: { bits: [] }
methods:
  - { name: small, batchSize: 10, epochs: 2 }
  - { name: base }
`,
);

const runFile = (method: string, seed: number, file: string) => JSON.parse(readFileSync(path.join(cmp.out, "runs", `${method}-seed${seed}`, file), "utf8"));

test("a method's batchSize and epochs override the base ones; the others keep them", (t) => {
  t.is(cmp.result.code, 0, cmp.result.stderr);
  for (const s of SEEDS) {
    t.is(runFile("small", s, "config.resolved.json").batchSize, 10);
    t.is(runFile("base", s, "config.resolved.json").batchSize, 20);
    t.is(runFile("small", s, "history.json").length, 2);
    t.is(runFile("base", s, "history.json").length, 1);
    t.true(runFile("small", s, "config.resolved.json").trainLoss);
  }
  t.regex(cmp.report.setup.training, /1 epochs, batch size 20 \(per method: small 2 × 10, base 1 × 20\)/);
});

test("trainLoss: summary.json has the training-split row, and the column is test loss minus it, seed by seed", (t) => {
  t.regex(cmp.result.stdout, /^method +float32 acc \(%\) +test−train loss +s \/ epoch$/m);
  t.regex(cmp.result.stdout, /^method +Δ float32 acc \(points\) +Δ test−train loss +Δ s \/ epoch$/m);
  for (const [i, m] of ["small", "base"].entries()) {
    const gaps = SEEDS.map((s) => {
      const summary = runFile(m, s, "summary.json");
      t.true(Number.isFinite(summary.train.loss) && summary.train.acc >= 0 && summary.train.acc <= 1, `${m} ${s}`);
      return summary.test.float32.loss - summary.train.loss;
    });
    t.deepEqual(cmp.report.methods[i].lossGap?.values, gaps, m);
  }
  const d = cmp.report.methods[1].differences!.lossGap;
  t.deepEqual(d.values, [0, 1].map((k) => cmp.report.methods[1].lossGap!.values[k] - cmp.report.methods[0].lossGap!.values[k]));
});

test("the first lines give each method's epochs × batch size where they differ, not the base epochs alone", (t) => {
  t.regex(cmp.result.stdout, /^4 trainings \(2 methods × 2 seeds\) of .*, epochs × batch size: small 2 × 10, base 1 × 20; 2 at a time$/m);
  t.notRegex(cmp.result.stdout, /epochs each/);
});

test("without bit-widths the table's title says test accuracy, not quantization; without curvature there is no tr H column", (t) => {
  t.regex(cmp.result.stdout, /^flatfit compare: bs — test accuracy \(%\), mean ± std over 2 seed\(s\)$/m);
  t.notRegex(cmp.result.stdout, /quantization|bit-width/);
  t.notRegex(cmp.result.stdout, /tr H/);
  t.true(cmp.report.methods.every((m) => m.hessianTrace === undefined));
});

test("a method's batchSize (and epochs) must be a positive integer", async (t) => {
  const bad = writeConfig(cmp.dir, "bad.yaml", `
model: mlp
data: mnist
methods:
  - { name: a, batchSize: 0 }
`);
  const r = await runBin(["compare", "--config", bad]);
  t.is(r.code, 2);
  t.regex(r.stderr, /bad\.yaml:4:\d+: methods\[0\]\.batchSize: batchSize must be ≥ 1/);
});
