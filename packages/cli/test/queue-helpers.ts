/** What the queue tests share: short grids, workers as separate processes, results by trial. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { startBin, writeConfig, type Running } from "./helpers";

/**
 * The queue tests run only in the suite's first pass: every training they check runs in a `flatfit`
 * process (`sweep`, `worker`), which takes its backend from the config, not from
 * $FLATFIT_TEST_BACKEND, so the second pass (cpu-unfused) would repeat them unchanged.
 */
export const SECOND_PASS = (process.env.FLATFIT_TEST_BACKEND ?? "cpu") !== "cpu";

/** A sweep of `values.length` short trials (tiny MLP, 200 digits, `epochs` epochs). */
export function gridConfig(dir: string, name: string, values: number[], epochs = 1): string {
  return writeConfig(
    dir,
    `${name}.yaml`,
    `
name: ${name}
model: { name: mlp, hidden: [16] }
data: { name: mnist, trainLimit: 200, testLimit: 100, layout: flat }
epochs: ${epochs}
batchSize: 20
grid:
  "optimizer.learningRate": [${values.join(", ")}]
`,
  );
}

export function startWorker(url: string, extra: string[] = []): Running {
  return startBin(["worker", "--queue", url, "--stalled-after", "2", ...extra]);
}

/** Stops a worker as Ctrl-C would and waits for it to end. */
export async function stopWorker(w: Running): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGINT");
  await w.done;
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
