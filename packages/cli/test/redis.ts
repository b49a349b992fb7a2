/**
 * A real Redis for the queue tests: Debian's redis-server (installed with apt-get when missing, as
 * root — as CI and the project machines run; the browser tests do the same for chromium), started
 * on 127.0.0.1 on a free port with its own temporary folder, append-only persistence and a
 * password, and killed after. `restart` stops it (SIGTERM: it saves) and starts it again on the
 * same port and folder, as a Redis restarted mid-sweep. With `tls` it takes only TLS connections
 * (`tls-port`, plain port off), with the certificate and key given, clients not asked for one.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? "/usr/bin/redis-server";

/** Installs Debian's redis-server when it is missing (needs root and apt-get), or says what to install. */
export function ensureRedis(): void {
  if (existsSync(REDIS_SERVER)) return;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || !existsSync("/usr/bin/apt-get")) {
    throw new Error(`The queue tests need redis-server at ${REDIS_SERVER}: install Debian's package (apt-get install redis-server) or set REDIS_SERVER_PATH.`);
  }
  console.log("installing Debian's redis-server for the queue tests (apt-get install redis-server)…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "redis-server"], { stdio: "inherit", env });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The server's side of TLS: PEM files of its certificate, its key and the CA that signed it. */
export interface ServerTls {
  cert: string;
  key: string;
  ca: string;
}

export class TestRedis {
  private child?: ChildProcess;
  readonly dir = mkdtempSync(path.join(tmpdir(), "flatfit-redis-"));

  private constructor(
    readonly port: number,
    readonly password: string,
    readonly tls?: ServerTls,
  ) {}

  static async start(password = `pw-${Math.random().toString(36).slice(2, 10)}`, tls?: ServerTls): Promise<TestRedis> {
    ensureRedis();
    const r = new TestRedis(await freePort(), password, tls);
    await r.launch();
    return r;
  }

  /** redis://:password@127.0.0.1:port/db (rediss:// with TLS) */
  url(db = 0): string {
    return `${this.tls ? "rediss" : "redis"}://:${this.password}@127.0.0.1:${this.port}/${db}`;
  }

  private launch(): Promise<void> {
    const listen = this.tls
      ? ["--port", "0", "--tls-port", String(this.port), "--tls-cert-file", this.tls.cert, "--tls-key-file", this.tls.key, "--tls-ca-cert-file", this.tls.ca, "--tls-auth-clients", "no"]
      : ["--port", String(this.port)];
    const args = ["--bind", "127.0.0.1", ...listen, "--dir", this.dir, "--requirepass", this.password, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--protected-mode", "yes"];
    const child = (this.child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] }));
    let out = "";
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 15_000);
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) (clearTimeout(timer), resolve());
      });
      child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`redis-server exited with ${code}:\n${out}`))));
    });
  }

  /** Stops the server (SIGTERM) and resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    await exited;
  }

  /** Stop, wait `downMs`, start again on the same port with the same data folder. */
  async restart(downMs = 1000): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }
}
