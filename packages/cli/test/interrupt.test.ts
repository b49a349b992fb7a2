import test from "ava";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadMnist, toTensors } from "@flatfit/data";
import { Interrupt, disposeModel, loadModelDir, loadTrainConfig, runTraining } from "@flatfit/cli";
import { cpuBackend, startBin, tempDir, writeConfig } from "./helpers";

const dir = tempDir("flatfit-interrupt-");
const EPOCHS = 40;
const config = writeConfig(
  dir,
  "long.yaml",
  `
model: { name: mlp, hidden: [16] }
data: { name: mnist, trainLimit: 300, testLimit: 50, layout: flat }
plugins: [{ use: nso, sigma: 0.01 }]
epochs: ${EPOCHS}
batchSize: 10
`,
);

test.before(cpuBackend);

test("Ctrl-C (SIGINT) in train stops after the current batch and leaves a valid run directory; exit code 130", async (t) => {
  const out = path.join(dir, "run");
  const run = startBin(["train", "--config", config, "--out", out, "--quiet"]);
  await run.waitFor(/^epoch 2\/40 /m);
  run.child.kill("SIGINT");
  const r = await run.done;
  t.is(r.code, 130, r.stderr);
  t.regex(r.stderr + r.stdout, /interrupt: stopping after the current batch/);
  const read = (f: string) => JSON.parse(readFileSync(path.join(out, f), "utf8"));
  const summary = read("summary.json");
  t.is(summary.status, "interrupted");
  const completed = summary.epochs.completed as number;
  t.true(completed >= 2 && completed < EPOCHS, `completed ${completed}`);
  const history = read("history.json") as Array<Record<string, number>>;
  t.deepEqual(history.map((h) => h.epoch), Array.from({ length: completed }, (_, i) => i + 1));
  t.is(readFileSync(path.join(out, "history.csv"), "utf8").trim().split("\n").length, completed + 1);
  t.is(read("config.resolved.json").epochs, EPOCHS);
  // The model so far loads and predicts.
  const model = await loadModelDir(path.join(out, "model"));
  const { x } = toTensors(loadMnist({ split: "test", limit: 20, layout: "flat" }));
  const p = (model.predict(x) as tf.Tensor).arraySync() as number[][];
  t.is(p.length, 20);
  for (const row of p) t.true(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4);
  model.dispose();
});

test("a stop asked for during a batch takes effect when that batch ends: the epoch keeps exactly the batches done", async (t) => {
  const { config: c, dir: base } = await loadTrainConfig(config);
  const interrupt = new Interrupt(() => {});
  const run = await runTraining(
    { config: c, baseDir: base, label: "" },
    {
      interrupt,
      progress: (e) => {
        if (e.type === "batch" && e.epoch === 1 && e.batch === 6) interrupt.request();
      },
    },
  );
  try {
    t.is(run.outcome.status, "interrupted");
    t.is(run.outcome.history.length, 1);
    t.deepEqual(run.outcome.partialEpoch && { epoch: run.outcome.partialEpoch.epoch, batches: run.outcome.partialEpoch.batches }, { epoch: 1, batches: 7 });
    t.is(run.outcome.evaluation, undefined);
  } finally {
    disposeModel(run.model);
  }
});
