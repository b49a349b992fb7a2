import test from "ava";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { canonicalJson, expandGrid, parseGridPath, trialId, loadSweepConfig } from "@flatfit/cli";
import { killWhen, runBin, startBin, tempDir, writeConfig } from "./helpers";

const dir = tempDir("flatfit-sweep-");
const config = writeConfig(
  dir,
  "grid.yaml",
  `
model: { name: mlp, hidden: [24] }
data: { name: mnist, trainLimit: 400, testLimit: 100, layout: flat }
plugins: [{ use: hero }]
epochs: 2
batchSize: 20
grid:
  "plugins[0].gamma": [0.01, 0.1]
  "plugins[0].h": [0.5, 1]
  "optimizer.learningRate": [0.1]
`,
);

test("grid paths, the grid's order and stable trial ids", async (t) => {
  t.deepEqual(parseGridPath("plugins[0].gamma"), ["plugins", 0, "gamma"]);
  t.deepEqual(parseGridPath("optimizer.learningRate"), ["optimizer", "learningRate"]);
  t.is(parseGridPath("plugins[x]"), undefined);
  t.deepEqual(expandGrid({ a: [1, 2], b: ["x", "y"] }), [{ a: 1, b: "x" }, { a: 1, b: "y" }, { a: 2, b: "x" }, { a: 2, b: "y" }]);
  t.is(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 1 }], c: undefined } }), '{"a":{"d":[1,{"e":1,"f":2}]},"b":1}');
  const { config: c } = await loadSweepConfig(config);
  t.is(c.trials.length, 4);
  t.deepEqual(c.trials[1].assignment, { "plugins[0].gamma": 0.01, "plugins[0].h": 1, "optimizer.learningRate": 0.1 });
  t.deepEqual(c.trials[1].config.plugins, [{ use: "hero", gamma: 0.01, h: 1 }]);
  t.is(new Set(c.trials.map((x) => x.id)).size, 4);
  // The id depends on the resolved config only: key order and explicit defaults do not change it.
  const again = await loadSweepConfig(config);
  t.deepEqual(again.config.trials.map((x) => x.id), c.trials.map((x) => x.id));
  t.is(trialId({ ...c.trials[0].config, logLevel: "debug" }), c.trials[0].id);
});

test("a sweep killed with SIGKILL resumes: finished trials are not rerun, the rest run, all are ranked", async (t) => {
  const out = path.join(dir, "out");
  const trials = path.join(out, "trials");
  const files = () => (existsSync(trials) ? readdirSync(trials).filter((f) => f.endsWith(".json")) : []);
  const first = startBin(["sweep", "--config", config, "--out", out, "--workers", "2", "--quiet"]);
  if (!(await killWhen(first, () => (files().length > 0 ? true : undefined), 20))) throw new Error(`the sweep ended before it was killed:\n${first.stdout}`);
  const killed = await first.done;
  t.is(killed.signal, "SIGKILL");
  const kept = files();
  t.true(kept.length >= 1 && kept.length < 4, `${kept.length} trial files at the kill`);
  const mtimes = new Map(kept.map((f) => [f, statSync(path.join(trials, f)).mtimeMs]));
  const texts = new Map(kept.map((f) => [f, readFileSync(path.join(trials, f), "utf8")]));

  const second = await runBin(["sweep", "--config", config, "--out", out, "--workers", "2", "--quiet"]);
  t.is(second.code, 0, second.stderr);
  t.regex(second.stdout, new RegExp(`${kept.length} finished already \\(kept\\), ${4 - kept.length} to run`));
  t.is((second.stdout.match(/^done: trial /gm) ?? []).length, 4 - kept.length);
  t.is(files().length, 4);
  for (const [f, m] of mtimes) {
    t.is(statSync(path.join(trials, f)).mtimeMs, m, `${f} was rewritten`);
    t.is(readFileSync(path.join(trials, f), "utf8"), texts.get(f)!);
  }
  const results = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"));
  t.true(results.complete);
  t.is(results.metric, "acc@float32");
  t.deepEqual(results.trials.map((r: { rank: number }) => r.rank), [1, 2, 3, 4]);
  const values = results.trials.map((r: { value: number }) => r.value);
  t.deepEqual([...values].sort((a, b) => b - a), values);
  for (const r of results.trials) {
    const trial = JSON.parse(readFileSync(path.join(out, r.file), "utf8"));
    t.is(trial.outcome.evaluation[0].metrics.acc, r.value);
  }
  t.regex(second.stdout, /trials ranked by acc@float32 \(highest first\)/);
});
