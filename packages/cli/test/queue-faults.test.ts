import * as path from "node:path";
import { connect, openQueue, parseQueueUrl } from "@flatfit/cli";
import { finishWithin, runBin, startBin, type Running } from "./helpers";
import { accuracies, gridConfig, queueSuite, startWorker, stopWorker, storedBy } from "./queue-helpers";

const { dir, redis, started, q } = queueSuite("flatfit-queue-faults-");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The trial a worker has started and not finished, if any. */
function running(w: Running): string | undefined {
  const lines = w.stdout.trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  return /^start: trial ([0-9a-f]{12})/.exec(last)?.[1];
}

async function resultKeys(url: string): Promise<number> {
  const r = await connect(parseQueueUrl(url));
  const n = (await r.keys("flatfit:result:*")).length;
  r.disconnect();
  return n;
}

q("a worker SIGKILLed mid-trial: its trial is taken over and completes; every trial is stored once, with the embedded run's accuracy bit for bit", async (t) => {
  const url = redis().url(1);
  const config = gridConfig(dir, "six", [0.02, 0.05, 0.1, 0.2, 0.3, 0.5], 2);
  const ws = [startWorker(url), startWorker(url), startWorker(url)];
  started.push(...ws);
  const sweep = startBin(["sweep", "--config", config, "--queue", url, "--out", path.join(dir, "q"), "--quiet"]);
  let victim: { w: Running; trial: string } | undefined;
  while (!victim) {
    await sleep(50);
    const w = ws.find((x) => running(x) !== undefined);
    if (w) victim = { w, trial: running(w)! };
  }
  victim.w.child.kill("SIGKILL");
  const killed = await victim.w.done;
  t.is(killed.signal, "SIGKILL");
  const r = await finishWithin(sweep, 180_000);
  t.is(r.code, 0, `sweep (${r.signal ?? "exited"}):\n${r.stdout}\n${r.stderr}\nworkers:\n${ws.map((w) => w.stdout).join("\n")}`);
  const others = ws.filter((w) => w !== victim!.w);
  for (const w of others) await stopWorker(w);
  t.false(storedBy(victim.w).includes(victim.trial));
  t.true(others.some((w) => storedBy(w).includes(victim!.trial)), "another worker completed the killed worker's trial");
  const stored = ws.flatMap(storedBy).sort();
  const ids = [...accuracies(path.join(dir, "q")).keys()].sort();
  t.is(ids.length, 6);
  t.deepEqual(stored, ids, "every trial stored exactly once");
  t.is(await resultKeys(url), 6);

  const embedded = await runBin(["sweep", "--config", config, "--out", path.join(dir, "e"), "--workers", "2", "--quiet"]);
  t.is(embedded.code, 0, embedded.stderr);
  const queued = accuracies(path.join(dir, "q"));
  for (const [id, acc] of accuracies(path.join(dir, "e"))) t.is(queued.get(id), acc, `trial ${id}`);
});

q("Redis restarted mid-sweep (append-only persistence on): the sweep resumes and completes", async (t) => {
  const url = redis().url(2);
  const w = startWorker(url);
  started.push(w);
  const sweep = startBin(["sweep", "--config", gridConfig(dir, "restart", [0.05, 0.1, 0.2, 0.3]), "--queue", url, "--out", path.join(dir, "r"), "--quiet"]);
  await sweep.waitFor(/: done\n/, 120_000);
  await redis().restart(1000);
  const r = await finishWithin(sweep, 180_000);
  t.is(r.code, 0, `sweep (${r.signal ?? "exited"}):\n${r.stdout}\n${r.stderr}\nworker:\n${w.stdout}`);
  t.is(accuracies(path.join(dir, "r")).size, 4);
  await stopWorker(w);
  t.is(await resultKeys(url), 4);
  t.false(`${r.stdout}${r.stderr}${w.stdout}`.includes(redis().password));
});

q("Ctrl-C on a worker returns its running trial to the queue at once; another worker completes it", async (t) => {
  const url = redis().url(3);
  const config = gridConfig(dir, "ctrl-c", [0.1], 3);
  const detached = await runBin(["sweep", "--config", config, "--queue", url, "--detach"]);
  t.is(detached.code, 0, detached.stderr);
  const a = startWorker(url, ["--stalled-after", "60"]);
  started.push(a);
  await a.waitFor(/^start: trial/m, 60_000);
  a.child.kill("SIGINT");
  const ended = await a.done;
  t.is(ended.code, 130);
  t.regex(a.stdout, /returned to the queue: trial/);
  const queue = openQueue(parseQueueUrl(url));
  const [job] = await queue.getJobs(["wait", "active", "completed", "failed", "delayed"]);
  t.is(await job.getState(), "waiting", "back on the queue without waiting for its lock to expire");
  await queue.close();
  const b = startWorker(url);
  started.push(b);
  const r = await finishWithin(startBin(["sweep", "--config", config, "--queue", url, "--out", path.join(dir, "c"), "--quiet"]), 180_000);
  t.is(r.code, 0, `sweep (${r.signal ?? "exited"}):\n${r.stdout}\n${r.stderr}\nworker:\n${b.stdout}`);
  await stopWorker(b);
  t.is(storedBy(b).length, 1);
});
