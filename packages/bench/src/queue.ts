/**
 * The queue's cost and scaling, measured side by side in one run on a Redis started here
 * (Debian's redis-server on 127.0.0.1, a free port, a temporary folder):
 *   - overhead per trial: a job's wait once a worker is free (enqueue or the worker's previous job
 *     → start) and its time in the worker outside the training (validation, thread dispatch,
 *     storing the result), as a share of the trial's training time;
 *   - throughput of 1 and 2 workers on the same grid (each on a fresh database): trials per minute
 *     from enqueue to the last result stored, and their ratio.
 *   node packages/bench/dist/src/queue.js [--trials N] [--epochs E] [--train-limit DIGITS] [--write FILE]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { connect, openQueue, parseQueueUrl, readResults } from "@flatfit/cli";

const BIN = path.join(path.dirname(require.resolve("@flatfit/cli/package.json")), "dist", "src", "bin.js");
const REDIS = process.env.REDIS_SERVER_PATH ?? "/usr/bin/redis-server";
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number, password: string): Promise<ChildProcess> {
  if (!existsSync(REDIS)) throw new Error(`the queue benchmark needs redis-server at ${REDIS} (apt-get install redis-server, or set REDIS_SERVER_PATH)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "flatfit-bench-redis-"));
  const child = spawn(REDIS, ["-"], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin!.end(`bind 127.0.0.1\nport ${port}\nrequirepass ${password}\ndir ${dir}\nappendonly yes\nsave ""\n`);
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", () => reject(new Error(`redis-server exited:\n${out}`)));
  });
  return child;
}

function grid(dir: string, n: number, epochs: number, trainLimit: number): string {
  const file = path.join(dir, "bench-grid.yaml");
  const rates = Array.from({ length: n }, (_, i) => (0.02 * (i + 1)).toFixed(2));
  writeFileSync(file, `name: bench\nmodel: { name: mlp, hidden: [32] }\ndata: { name: mnist, trainLimit: ${trainLimit}, testLimit: 200, layout: flat }\nepochs: ${epochs}\nbatchSize: 32\ngrid:\n  "optimizer.learningRate": [${rates.join(", ")}]\n`);
  return file;
}

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "inherit"] });
}

const ended = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once("exit", () => r())));

/** Runs the grid on `workers` fresh worker processes; returns the wall time and each job's timings. */
async function measure(url: string, config: string, workers: number, n: number) {
  const ws = Array.from({ length: workers }, () => run(["worker", "--queue", url]));
  await Promise.all(ws.map((w) => new Promise<void>((r) => w.stdout!.on("data", (d: Buffer) => d.toString().includes("flatfit worker") && r()))));
  const target = parseQueueUrl(url);
  const redis = await connect(target);
  await ended(run(["sweep", "--config", config, "--queue", url, "--detach"]));
  const queue = openQueue(target);
  const jobs = await queue.getJobs(["wait", "active", "completed", "failed", "delayed", "prioritized"]);
  const ids = jobs.map((j) => j.id!);
  while ((await readResults(redis, ids)).size < n) await sleep(100);
  const results = await readResults(redis, ids);
  const rows = [];
  for (const id of ids) {
    const job = (await queue.getJob(id))!;
    const r = results.get(id)!;
    rows.push({ worker: r.worker, queued: job.timestamp, started: job.processedOn!, finished: job.finishedOn ?? Date.parse(r.finishedAt), training: r.outcome.seconds });
  }
  const wall = (Math.max(...rows.map((r) => r.finished)) - Math.min(...rows.map((r) => r.queued))) / 1000;
  for (const w of ws) w.kill("SIGTERM");
  await Promise.all(ws.map(ended));
  await queue.close();
  redis.disconnect();
  // wait once a worker is free: from enqueue, or from that worker's previous job's end
  rows.sort((a, b) => a.started - b.started);
  const previousEnd = new Map<string, number>();
  const overhead = rows.map((r) => {
    const free = Math.max(r.queued, previousEnd.get(r.worker) ?? 0);
    previousEnd.set(r.worker, r.finished);
    const pickup = (r.started - free) / 1000;
    const inWorker = (r.finished - r.started) / 1000 - r.training;
    return { pickup, inWorker, training: r.training };
  });
  return { wall, overhead };
}

async function main(): Promise<void> {
  const n = Number(arg("trials") ?? 12);
  const epochs = Number(arg("epochs") ?? 5);
  const trainLimit = Number(arg("train-limit") ?? 2000);
  const password = `bench-${Math.random().toString(36).slice(2)}`;
  const port = await freePort();
  const redis = await startRedis(port, password);
  const dir = mkdtempSync(path.join(os.tmpdir(), "flatfit-bench-queue-"));
  const config = grid(dir, n, epochs, trainLimit);
  try {
    const one = await measure(`redis://:${password}@127.0.0.1:${port}/1`, config, 1, n);
    const two = await measure(`redis://:${password}@127.0.0.1:${port}/2`, config, 2, n);
    const o = one.overhead;
    const share = (xs: number[]) => `${(100 * median(xs)).toFixed(1)}%`;
    const later = o.slice(1); // the first trial of a worker also starts its training thread (tfjs, data)
    const lines = [
      `### Queue mode: overhead per trial and 1 vs 2 workers (${n} trials: MLP 784-32-10, ${trainLimit} digits, ${epochs} epochs)`,
      "",
      `Machine: ${os.availableParallelism()} × ${os.cpus()[0]?.model ?? "cpu"}; Node ${process.version}; Redis (Debian redis-server) on 127.0.0.1 with append-only persistence; medians over the trials of the 1-worker run.`,
      "",
      "| per trial (1 worker) | seconds | share of the trial's training |",
      "| --- | --- | --- |",
      `| training (\`runTraining\`, in the worker's thread) | ${median(o.map((x) => x.training)).toFixed(3)} | 100% |`,
      `| enqueue or previous job → start (BullMQ pick-up) | ${median(o.map((x) => x.pickup)).toFixed(3)} | ${share(o.map((x) => x.pickup / x.training))} |`,
      `| in the worker, not training (validation, thread dispatch, result → stored) | ${median(later.map((x) => x.inWorker)).toFixed(3)} | ${share(later.map((x) => x.inWorker / x.training))} |`,
      `| the first trial of a worker, not training (its thread loads tfjs and the data) | ${o[0].inWorker.toFixed(3)} | ${(100 * (o[0].inWorker / o[0].training)).toFixed(1)}% |`,
      "",
      "| workers | wall time, enqueue → last result stored (s) | trials / min | ratio to 1 worker | training per trial, median (s) |",
      "| --- | --- | --- | --- | --- |",
      `| 1 | ${one.wall.toFixed(1)} | ${((60 * n) / one.wall).toFixed(1)} | 1.00 | ${median(one.overhead.map((x) => x.training)).toFixed(3)} |`,
      `| 2 | ${two.wall.toFixed(1)} | ${((60 * n) / two.wall).toFixed(1)} | ${(one.wall / two.wall).toFixed(2)} | ${median(two.overhead.map((x) => x.training)).toFixed(3)} |`,
    ];
    const out = lines.join("\n");
    console.log(out);
    const file = arg("write");
    if (file) writeFileSync(file, out + "\n");
  } finally {
    redis.kill("SIGTERM");
    await ended(redis);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
