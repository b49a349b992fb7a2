/** What the queue tests share: short grids, workers as separate processes, results by trial. */
import test from "ava";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { finishWithin, startBin, tempDir, writeConfig, type Running } from "./helpers";
import { TestRedis } from "./redis";

/**
 * The queue tests run only in the suite's first pass: every training they check runs in a `flatfit`
 * process (`sweep`, `worker`), which takes its backend from the config, not from
 * $FLATFIT_TEST_BACKEND, so the second pass (cpu-unfused) would repeat them unchanged.
 */
export const SECOND_PASS = (process.env.FLATFIT_TEST_BACKEND ?? "cpu") !== "cpu";

/** Writes dir/<file>: an MLP with `hidden` units on `trainLimit` digits (half as many test digits), `epochs` epochs at batch size 20, then the lines of `rest`. */
export function tinyConfig(dir: string, file: string, rest: string, { hidden = 16, trainLimit = 200, epochs = 1 } = {}): string {
  return writeConfig(
    dir,
    file,
    `model: { name: mlp, hidden: [${hidden}] }
data: { name: mnist, trainLimit: ${trainLimit}, testLimit: ${trainLimit / 2}, layout: flat }
epochs: ${epochs}
batchSize: 20
${rest.replace(/^\n/, "")}`,
  );
}

/**
 * What a queue test file sets up: a temporary folder; a Redis started before its tests (first pass
 * only; `redis()` once started) and stopped after them; `started`, processes (workers, sweeps)
 * SIGKILLed after them should one be left running; and `q`, which declares a serial test that the
 * second pass skips.
 */
export function queueSuite(prefix: string) {
  let redis: TestRedis | undefined;
  const started: Running[] = [];
  test.before(async () => {
    if (!SECOND_PASS) redis = await TestRedis.start();
  });
  test.after.always(async () => {
    for (const w of started) w.child.kill("SIGKILL");
    await redis?.stop();
  });
  return { dir: tempDir(prefix), redis: (): TestRedis => redis!, started, q: SECOND_PASS ? test.skip : test.serial };
}

/** A sweep of `values.length` short trials (tiny MLP, 200 digits, `epochs` epochs). */
export function gridConfig(dir: string, name: string, values: number[], epochs = 1): string {
  return tinyConfig(
    dir,
    `${name}.yaml`,
    `
name: ${name}
grid:
  "optimizer.learningRate": [${values.join(", ")}]
`,
    { epochs },
  );
}

export function startWorker(url: string, extra: string[] = []): Running {
  return startBin(["worker", "--queue", url, "--stalled-after", "2", ...extra]);
}

/** Stops a worker as Ctrl-C would and waits for it to end (SIGKILLed after 30 s: a hang fails the test with its output instead of stalling the suite). */
export async function stopWorker(w: Running): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGINT");
  await finishWithin(w, 30_000);
}

/** trial id → float32 test accuracy, from a sweep's results.json. */
export function accuracies(out: string): Map<string, number> {
  const results = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")) as { trials: Array<{ id: string; value: number }> };
  return new Map(results.trials.map((t) => [t.id, t.value]));
}

/** The trial ids a worker's output says it stored ("done: trial <id> …"). */
export function storedBy(w: Running): string[] {
  return [...w.stdout.matchAll(/^done: trial ([0-9a-f]{12})/gm)].map((m) => m[1]);
}
