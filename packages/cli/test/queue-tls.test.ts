/**
 * Queue mode over TLS (`rediss://`) on a real Redis that takes only TLS connections (Debian's
 * redis-server with `tls-port`; its certificate for 127.0.0.1 signed by a CA made here with
 * openssl). A worker and a sweep that trust the CA (NODE_EXTRA_CA_CERTS, Node's own way to add a
 * CA) run a grid to the end; a client that does not trust it, or that speaks plain `redis://` to
 * the TLS port, fails at once with an error that says what to do, and no password is printed.
 */
import test from "ava";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { BIN, tempDir, type Finished } from "./helpers";
import { gridConfig, SECOND_PASS } from "./queue-helpers";
import { TestRedis, type ServerTls } from "./redis";

const dir = tempDir("flatfit-queue-tls-");
let redis: TestRedis | undefined;
const children: ReturnType<typeof spawn>[] = [];

/** openssl from Debian (installed with apt-get when missing, as root), as redis-server is. */
function ensureOpenssl(): void {
  if (existsSync("/usr/bin/openssl")) return;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || !existsSync("/usr/bin/apt-get")) throw new Error("The TLS queue test needs openssl: install Debian's package (apt-get install openssl).");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "openssl"], { stdio: "inherit", env });
}

/** A CA and a server certificate for IP 127.0.0.1 signed by it, valid for a day. */
function makeCertificates(): ServerTls {
  ensureOpenssl();
  const f = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "1", "-subj", "/CN=flatfit test CA"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1"]);
  writeFileSync(f("san.cnf"), "subjectAltName=IP:127.0.0.1\n");
  openssl(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.pem"), "-days", "1", "-extfile", f("san.cnf")]);
  return { cert: f("server.pem"), key: f("server.key"), ca: f("ca.pem") };
}

/** The CLI with `extraEnv` (FLATFIT_QUEUE and NODE_EXTRA_CA_CERTS left out unless given). */
function cli(args: string[], extraEnv: Record<string, string> = {}): { done: Promise<Finished>; kill: () => void } {
  const { FLATFIT_QUEUE: _q, NODE_EXTRA_CA_CERTS: _ca, ...env } = process.env;
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...env, FORCE_COLOR: "0", ...extraEnv } });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { done, kill: () => child.kill("SIGINT") };
}

test.before(async () => {
  if (!SECOND_PASS) redis = await TestRedis.start(undefined, makeCertificates());
});
test.after.always(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await redis?.stop();
});

const q = SECOND_PASS ? test.skip : test.serial;

q("rediss://: a worker and a sweep that trust the server's CA run the grid to the end over TLS", async (t) => {
  const url = redis!.url(0);
  t.regex(url, /^rediss:\/\//);
  const trust = { NODE_EXTRA_CA_CERTS: redis!.tls!.ca };
  const worker = cli(["worker", "--queue", url], trust);
  const sweep = await cli(["sweep", "--config", gridConfig(dir, "tls-grid", [0.05, 0.1, 0.2]), "--queue", url, "--out", path.join(dir, "out")], trust).done;
  worker.kill();
  const w = await worker.done;
  t.is(sweep.code, 0, sweep.stderr);
  t.regex(sweep.stdout, /trials ranked by acc@float32/);
  t.is([...w.stdout.matchAll(/^done: trial [0-9a-f]{12}/gm)].length, 3, w.stdout + w.stderr);
  t.regex(w.stdout, /from rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0/);
  for (const text of [sweep.stdout, sweep.stderr, w.stdout, w.stderr]) t.false(text.includes(redis!.password), "the password is never printed");
});

q("rediss:// without the CA trusted, and plain redis:// to the TLS port: a clear error at once, naming the fix", async (t) => {
  const untrusted = await cli(["status", "--queue", redis!.url(0)]).done;
  t.is(untrusted.code, 1);
  t.regex(untrusted.stderr, /cannot reach the queue at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: .*certificate.*NODE_EXTRA_CA_CERTS=/);
  const plain = await cli(["status", "--queue", redis!.url(0).replace(/^rediss:/, "redis:")], { NODE_EXTRA_CA_CERTS: redis!.tls!.ca }).done;
  t.is(plain.code, 1);
  t.regex(plain.stderr, /cannot reach the queue at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: .*use rediss:\/\//);
  for (const text of [untrusted.stderr, plain.stderr]) {
    t.notRegex(text, /no answer within/, "the TLS error itself, not the connect timeout");
    t.false(text.includes(redis!.password));
  }
});
