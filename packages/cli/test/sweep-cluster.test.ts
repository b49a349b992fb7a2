import test from "ava";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { BIN, tempDir } from "./helpers";
import { SECOND_PASS } from "./queue-helpers";
import { ensureRedis } from "./redis";

const SCRIPT = path.join(__dirname, "..", "..", "..", "..", "examples", "sweep-cluster", "run.sh");

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

// First pass only: the trainings run in flatfit processes, whose backend does not follow FLATFIT_TEST_BACKEND (see queue-helpers.ts).
(SECOND_PASS ? test.skip : test)("examples/sweep-cluster/run.sh: a Redis, 2 workers and the sweep; every trial ranked, each stored by one worker", async (t) => {
  ensureRedis();
  const out = tempDir("flatfit-sweep-cluster-");
  const env: NodeJS.ProcessEnv = { ...process.env, WORKERS: "2", PORT: String(await freePort()), OUT: out, FLATFIT: `${process.execPath} ${BIN}` };
  delete env.FLATFIT_QUEUE;
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile("bash", [SCRIPT], { env, timeout: 240_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })),
  );
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  t.regex(r.stdout, /4 trial\(s\) added/);
  t.regex(r.stdout, /trials ranked by acc@float32 \(highest first\)/);
  const results = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8"));
  t.true(results.complete);
  t.is(results.trials.length, 4);
  const logs = readdirSync(out).filter((f) => /^worker-\d+\.log$/.test(f)).map((f) => readFileSync(path.join(out, f), "utf8"));
  t.is(logs.length, 2);
  const stored = logs.flatMap((l) => [...l.matchAll(/^done: trial ([0-9a-f]{12})/gm)].map((m) => m[1])).sort();
  t.deepEqual(stored, results.trials.map((x: { id: string }) => x.id).sort());
  t.regex(logs.join(""), /returned 0 running trial\(s\)|terminated: taking no more trials/);
});
