/**
 * `flatfit train --resume <run dir>`: a run stopped after k epochs (run with --epochs k, or killed)
 * and resumed ends with the weights of the uninterrupted run, bit for bit (same backend, same
 * seed), with random plugins (nso, pertopt, a third-party noise plugin loaded by path), momentum
 * and Dropout; the history goes on where it stopped; bad input is a clear error (exit code 2).
 */
import test, { type ExecutionContext } from "ava";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { clearCheckpoint, readCheckpoint } from "@flatfit/cli";
import { killWhen, runBin, startBin, tempDir, writeConfig, type Finished } from "./helpers";

const EPOCHS = 6;
const dir = tempDir("flatfit-resume-");
const fixture = path.join(__dirname, "..", "..", "test", "fixtures", "gradient-noise");

/** A config file in `dir` for the run every test here trains, with its own `plugins` and `epochs` lines. */
const runConfig = (name: string, pluginsAndEpochs: string) =>
  writeConfig(
    dir,
    name,
    `
model: { name: mlp, hidden: [8], dropout: 0.2 }
data: { name: mnist, trainLimit: 100, testLimit: 20, layout: flat }
optimizer: { name: momentum, learningRate: 0.05 }
${pluginsAndEpochs}
batchSize: 20
seed: 5
`,
  );

const config = runConfig(
  "run.yaml",
  `plugins:
  - { use: nso, sigma: 0.02 }
  - { use: pertopt }
  - { use: ${path.relative(dir, fixture)}, std: 0.01 }
epochs: ${EPOCHS}`,
);
const straight = path.join(dir, "straight");
const split = path.join(dir, "split");

/** `flatfit train --config run.yaml --out <out> [...args] --quiet`. */
const trainArgs = (out: string, ...args: string[]) => ["train", "--config", config, "--out", out, ...args, "--quiet"];
/** `flatfit train --resume <run> [...args]`. */
const resume = (run: string, ...args: string[]) => runBin(["train", "--resume", run, ...args]);

const bytes = (run: string, f: string) => readFileSync(path.join(run, f));
const json = (run: string, f: string) => JSON.parse(readFileSync(path.join(run, f), "utf8"));
/** History records without their wall times. */
const history = (run: string) => (json(run, "history.json") as Array<Record<string, number>>).map(({ seconds: _s, ...r }) => r);

/** A resumed run ended where the uninterrupted run ends: the same final weights, byte for byte, and the same history. */
function endsAsStraight(t: ExecutionContext, run: string): void {
  t.true(bytes(run, "model/weights.bin").equals(bytes(straight, "model/weights.bin")), "final weights differ from the uninterrupted run");
  t.deepEqual(history(run), history(straight));
}

/** `flatfit train ...args` is refused with exit code 2 and a message matching `message`; returns the result for more checks. */
async function refused(t: ExecutionContext, args: string[], message: RegExp): Promise<Finished> {
  const r = await runBin(["train", ...args]);
  t.is(r.code, 2);
  t.regex(r.stderr, message);
  return r;
}

let straightRun: Finished;
let firstPart: Finished;

test.before(async () => {
  [straightRun, firstPart] = await Promise.all([
    runBin(trainArgs(straight)),
    runBin(trainArgs(split, "--epochs", "2")),
  ]);
});

test("every complete epoch leaves a resume point: the model with its optimizer and flatfit's state, and the history so far", (t) => {
  t.is(straightRun.code, 0, straightRun.stderr);
  t.is(firstPart.code, 0, firstPart.stderr);
  const point = readCheckpoint(split)!;
  t.is(point.epochsCompleted, 2);
  t.is(point.history.length, 2);
  const saved = json(split, "checkpoint/model.json");
  const optimizer = saved.trainingConfig.optimizer_config;
  t.is(optimizer.class_name, "Momentum");
  t.truthy(optimizer.config.flatfit, "flatfit's state rides in the optimizer config");
  t.true((saved.weightsManifest[0].weights as Array<{ group?: string }>).some((w) => w.group === "optimizer"), "the momentum accumulators are saved");
  t.is(json(split, "config.resolved.json").epochs, 2, "the run was configured for 2 epochs");
});

test("2 epochs, then --resume --epochs 6: the same weights, bit for bit, as 6 epochs straight; the history continues", async (t) => {
  const r = await resume(split, "--epochs", String(EPOCHS), "--quiet");
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /continuing after epoch 2 of 6/);
  t.regex(r.stdout, /^epoch 3\/6 /m);
  t.notRegex(r.stdout, /^epoch 2\/6 /m);
  endsAsStraight(t, split);
  t.true(bytes(split, "checkpoint/weights.bin").equals(bytes(straight, "checkpoint/weights.bin")), "weights or optimizer state differ at the last resume point");
  t.deepEqual(history(split).map((h) => h.epoch), [1, 2, 3, 4, 5, 6]);
  t.is(readFileSync(path.join(split, "history.csv"), "utf8").trim().split("\n").length, EPOCHS + 1);
  const summary = json(split, "summary.json");
  t.is(summary.status, "completed");
  t.deepEqual(summary.epochs, { planned: EPOCHS, completed: EPOCHS });
  t.is(summary.resumedAfter, 2);
  t.deepEqual(summary.test, json(straight, "summary.json").test);
  t.is(json(split, "config.resolved.json").epochs, EPOCHS);
});

test("a run killed (SIGKILL) mid-training resumes from its last complete epoch and ends where the uninterrupted run ends", async (t) => {
  const killed = path.join(dir, "killed");
  const run = startBin(trainArgs(killed));
  const atKill = await killWhen(
    run,
    () => {
      const point = readCheckpoint(killed);
      return point && point.epochsCompleted >= 2 ? point.epochsCompleted : undefined;
    },
    5,
  );
  const first = await run.done;
  t.is(first.signal, "SIGKILL", `the run ended before it could be killed:\n${first.stdout}\n${first.stderr}`);
  t.false(existsSync(path.join(killed, "summary.json")), "a killed run wrote no summary");
  const from = readCheckpoint(killed)!.epochsCompleted;
  t.true(from >= atKill! && from < EPOCHS, `resume point after epoch ${from}`);

  const r = await resume(killed, "--quiet");
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`continuing after epoch ${from} of ${EPOCHS}`));
  endsAsStraight(t, killed);
});

test("--resume of a run that already finished is an error that says so", async (t) => {
  await refused(t, ["--resume", straight], /the run already finished: its 6 epoch\(s\) are all done\. Pass --epochs N with N > 6/);
  // The run's own config file passes the match check (and then meets the same error).
  await refused(t, ["--resume", straight, "--config", config], /already finished/);
});

test("--resume with a config that does not match the run names the fields that differ", async (t) => {
  const other = runConfig("other.yaml", "plugins: [{ use: nso, sigma: 0.05 }, { use: hero }]\nepochs: 8");
  const r = await refused(t, ["--resume", straight, "--config", other], /does not match the config the run was trained with/);
  t.regex(r.stderr, /plugins: .* in .*other\.yaml, .* in the run/, "the plugin lists differ in length: named as a whole");
  t.notRegex(r.stderr, /^\s+- epochs:/m, "epochs may differ");
  t.regex(r.stderr, /Leave out --config/);
  t.is(json(straight, "summary.json").resumedAfter, undefined, "nothing was trained");
});

test("--resume of a folder with no saved model, of a missing folder, or with --out is an error naming the problem", async (t) => {
  const bare = path.join(dir, "bare");
  mkdirSync(bare);
  copyFileSync(path.join(straight, "config.resolved.json"), path.join(bare, "config.resolved.json"));
  await refused(t, ["--resume", bare], /no saved model to continue from \(checkpoint\/model\.json with its optimizer is missing\)/);

  const empty = path.join(dir, "empty");
  mkdirSync(empty);
  await refused(t, ["--resume", empty], /no config\.resolved\.json there — not a run directory written by flatfit train/);
  await refused(t, ["--resume", path.join(dir, "nope")], /no such directory/);
  await refused(t, ["--resume", straight, "--out", path.join(dir, "x")], /leave out --out/);
  await refused(t, [], /give a config file \(--config run\.yaml\), or a run directory to continue \(--resume/);
});

test("a new run removes an earlier run's resume point from its folder, but never a checkpoint/ folder flatfit did not write", (t) => {
  const reused = path.join(dir, "reused");
  mkdirSync(path.join(reused, "checkpoint"), { recursive: true });
  writeFileSync(path.join(reused, "checkpoint", "notes.txt"), "mine\n");
  t.throws(() => clearCheckpoint(reused), { message: /checkpoint exists but is not a resume point written by flatfit train/ });
  t.true(existsSync(path.join(reused, "checkpoint", "notes.txt")));
  clearCheckpoint(split);
  t.is(readCheckpoint(split), undefined);
});
