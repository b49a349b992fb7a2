import test from "ava";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { connect, openQueue, parseQueueUrl, redact, UsageError } from "@flatfit/cli";
import { BIN, runBin } from "./helpers";
import { accuracies, gridConfig, queueSuite, startWorker, stopWorker, tinyConfig } from "./queue-helpers";

const { dir, redis, started: workers, q } = queueSuite("flatfit-queue-");

test("queue URLs: checked with the field and the accepted forms named; the password redacted", (t) => {
  const bad = t.throws(() => parseQueueUrl("http://h:1"), { instanceOf: UsageError });
  t.regex(bad!.message, /--queue: scheme "http".*accepted: redis:\/\/\[:password@\]host:port\[\/db\] or rediss:\/\//);
  t.regex(t.throws(() => parseQueueUrl("redis://:s3cr3t@h:1/x", "FLATFIT_QUEUE"))!.message, /^FLATFIT_QUEUE: database "x" in redis:\/\/:\*\*\*@h:1\/x/);
  const target = parseQueueUrl("rediss://user:p%40ss@example.org:6380/2");
  t.like(target.options, { host: "example.org", port: 6380, db: 2, username: "user", password: "p@ss" });
  t.truthy(target.options.tls);
  t.is(target.shown, "rediss://user:***@example.org:6380/2");
  t.is(redact("auth p@ss failed for p%40ss"), "auth *** failed for ***");
});

q("without a queue the CLI loads neither BullMQ nor ioredis; --detach without a queue is an error", async (t) => {
  const hook = path.join(dir, "count-queue-modules.js");
  writeFileSync(hook, `process.on("exit", () => process.stderr.write("queue modules: " + Object.keys(require.cache).filter((f) => /node_modules[\\\\/](bullmq|ioredis)[\\\\/]/.test(f)).length + "\\n"));\n`);
  const r = await new Promise<string>((resolve) => execFile(process.execPath, ["--require", hook, BIN, "schema", "sweep"], (_e, _out, err) => resolve(err)));
  t.regex(r, /^queue modules: 0$/m);
  const detached = await runBin(["sweep", "--config", gridConfig(dir, "no-queue", [0.1]), "--detach"]);
  t.is(detached.code, 2);
  t.regex(detached.stderr, /sweep: --detach needs a queue to leave the trials on: --queue redis:\/\/… or FLATFIT_QUEUE/);
});

q("a sweep on the queue: no job added twice, status shows it, the same table and bit-identical accuracies as the embedded sweep, the password never printed", async (t) => {
  const url = redis().url(1);
  const config = gridConfig(dir, "grid", [0.05, 0.1, 0.2, 0.4]);
  const first = await runBin(["sweep", "--config", config, "--queue", url, "--detach", "--out", path.join(dir, "q")]);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /4 trial\(s\) added, 0 on the queue already/);
  const again = await runBin(["sweep", "--config", config, "--queue", url, "--detach"]);
  t.regex(again.stdout, /0 trial\(s\) added, 4 on the queue already/);
  const target = parseQueueUrl(url);
  const queue = openQueue(target);
  t.is(Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0), 4);
  await queue.close();

  const before = await runBin(["status", "--queue", url]);
  t.regex(before.stdout, /sweep "grid" \(.*grid\.yaml\): 4 trials: 0 done, 4 queued/);

  const w = startWorker(url, ["--concurrency", "2"]);
  workers.push(w);
  const followed = await runBin(["sweep", "--config", config, "--queue", url, "--out", path.join(dir, "q"), "--quiet"]);
  t.is(followed.code, 0, followed.stderr);
  t.regex(followed.stdout, /running/);
  t.regex(followed.stdout, /trials ranked by acc@float32 \(highest first\)/);
  const status = await runBin(["status", "--queue", url, "--name", "grid"]);
  t.regex(status.stdout, /4 trials: 4 done/);
  t.regex(status.stdout, /trials ranked by acc@float32/);

  const embedded = await runBin(["sweep", "--config", config, "--out", path.join(dir, "e"), "--workers", "2", "--quiet"]);
  t.is(embedded.code, 0, embedded.stderr);
  const queued = accuracies(path.join(dir, "q"));
  t.deepEqual([...queued.keys()].sort(), [...accuracies(path.join(dir, "e")).keys()].sort());
  for (const [id, acc] of accuracies(path.join(dir, "e"))) t.is(queued.get(id), acc, `trial ${id}`);
  t.true(existsSync(path.join(dir, "q", "trials", `${[...queued.keys()][0]}.json`)));

  const bad = await runBin(["status", "--queue", url, "--name", "nope"]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--name "nope" is not on the queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/1; accepted: "grid"/);
  const wrong = await runBin(["status", "--queue", url.replace(redis().password, `${redis().password}x`)]);
  t.is(wrong.code, 1);
  await stopWorker(w);
  for (const text of [first, again, before, followed, status, bad, wrong].flatMap((r) => [r.stdout, r.stderr]).concat(w.stdout)) t.false(text.includes(redis().password), text);
});

q("poisoned jobs fail alone, each with its reason: a config error (field and accepted values), a plugin by path, a missing plugin package", async (t) => {
  const url = redis().url(2);
  const target = parseQueueUrl(url);
  const queue = openQueue(target);
  const base = { model: { name: "mlp", hidden: [8] }, data: { name: "mnist", trainLimit: 100, testLimit: 50, layout: "flat" }, epochs: 1, batchSize: 20 };
  const poison = [
    { id: "bad-config", config: { ...base, optimizer: { name: "rmsprop" } } },
    { id: "by-path", config: { ...base, plugins: [{ use: "./evil-plugin.js" }] } },
    { id: "missing", config: { ...base, plugins: [{ use: "flatfit-plugin-not-installed" }] } },
    { id: "not-an-object", config: 42 },
  ];
  for (const p of poison) await queue.add("trial", { config: p.config as never, baseDir: dir, label: p.id }, { jobId: p.id, attempts: 3 });
  const w = startWorker(url);
  workers.push(w);
  const good = await runBin(["sweep", "--config", gridConfig(dir, "after-poison", [0.1, 0.2]), "--queue", url, "--out", path.join(dir, "p"), "--quiet"]);
  t.is(good.code, 0, good.stderr);
  const reasons = new Map<string, string>();
  for (const p of poison) {
    const job = (await queue.getJob(p.id))!;
    t.is(await job.getState(), "failed", p.id);
    t.is(job.attemptsMade, 1, `${p.id} is not retried`);
    reasons.set(p.id, job.failedReason);
  }
  t.regex(reasons.get("bad-config")!, /optimizer\.name.*"sgd"\|"momentum"\|"adam".*rmsprop/);
  t.regex(reasons.get("by-path")!, /plugins\[0\]\.use: "\.\/evil-plugin\.js" is a plugin given by path.*--allow-plugin-paths/);
  t.regex(reasons.get("missing")!, /flatfit-plugin-not-installed/);
  t.regex(reasons.get("not-an-object")!, /expected a training config object/);
  await queue.close();
  await stopWorker(w);
  t.regex(w.stdout, /rejected: bad-config/);
});

q("with --allow-plugin-paths a worker loads a plugin by path; a trial that throws is tried 3 times, then failed with its error, while the others complete", async (t) => {
  const url = redis().url(4);
  const plugin = path.join(dir, "throws.js");
  writeFileSync(plugin, `module.exports = class ThrowsPlugin { static id = "throws"; apply(hooks) { hooks.gradient.tap("throws", () => () => { throw new Error("this plugin throws in every step"); }); } };\n`);
  const config = tinyConfig(
    dir,
    "throwing.yaml",
    `
plugins: [{ use: ./throws.js }]
grid:
  "plugins": [[{ use: ./throws.js }], []]
`,
    { hidden: 8, trainLimit: 100 },
  );
  const w = startWorker(url, ["--allow-plugin-paths"]);
  workers.push(w);
  const r = await runBin(["sweep", "--config", config, "--queue", url, "--out", path.join(dir, "t"), "--quiet"]);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /failed after 3 attempt\(s\): .*this plugin throws in every step/);
  t.regex(r.stdout, /1 trial\(s\) failed; run the same command to retry them/);
  t.is(accuracies(path.join(dir, "t")).size, 1);
  t.is((w.stdout.match(/^failed: .*this plugin throws/gm) ?? []).length, 3);
  await stopWorker(w);
  const again = await runBin(["sweep", "--config", config, "--queue", url, "--detach"]);
  t.regex(again.stdout, /0 trial\(s\) added, 0 on the queue already, 1 finished before \(kept\), 1 failed before \(retried\)/);
});

q("compare on the queue prints the comparison table and writes report.html from the stored results; --artifacts keeps each run directory", async (t) => {
  const url = redis().url(3);
  const config = tinyConfig(
    dir,
    "cmp.yaml",
    `
seeds: [1, 2]
curvature: false
landscape: false
evaluate: { bits: [4] }
methods:
  - { name: SGD, plugins: [] }
  - { name: NSO, plugins: [{ use: nso, sigma: 0.01 }] }
`,
  );
  const artifacts = path.join(dir, "artifacts");
  const w = startWorker(url, ["--concurrency", "2", "--artifacts", artifacts]);
  workers.push(w);
  const out = path.join(dir, "cmp");
  const r = await runBin(["compare", "--config", config, "--queue", url, "--out", out, "--quiet"]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /4 trial\(s\) added/);
  t.regex(r.stdout, /difference to SGD, paired by seed/);
  t.true(existsSync(path.join(out, "report.html")));
  const report = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"));
  t.deepEqual(report.methods.map((m: { name: string; seeds: number[] }) => [m.name, m.seeds]), [["SGD", [1, 2]], ["NSO", [1, 2]]]);
  const status = await runBin(["status", "--queue", url, "--name", "cmp"]);
  t.regex(status.stdout, /compare "cmp".*4 trials: 4 done/);
  await stopWorker(w);
  const s = await connect(parseQueueUrl(url));
  const ids = (await s.keys("flatfit:result:*")).map((k) => k.split(":").pop()!);
  t.is(ids.length, 4);
  for (const id of ids) t.true(existsSync(path.join(artifacts, id, "model", "model.json")), `--artifacts: ${id}/model`);
  s.disconnect();
});
