/** Running the built `flatfit` bin as a user does, and temporary folders with config files. */
import test from "ava";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { CompareReport } from "@flatfit/report";

/** dist/test/helpers.js → dist/src/bin.js */
export const BIN = path.join(__dirname, "..", "src", "bin.js");

export function tempDir(prefix = "flatfit-cli-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Writes `text` (leading newline removed) to dir/name and returns the path. */
export function writeConfig(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text.replace(/^\n/, ""));
  return file;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** stdout so far */
  readonly stdout: string;
  /** Resolves once stdout matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<Finished>;
}

/** Starts `node dist/src/bin.js ...args` (stdout is a pipe: no progress bars). */
export function startBin(args: string[], cwd = process.cwd()): Running {
  // FLATFIT_QUEUE left out: a queue in the developer's environment would send the embedded runs to it
  const { FLATFIT_QUEUE: _queue, ...env } = process.env;
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...env, FORCE_COLOR: "0" } });
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
    for (const w of [...waiters]) if (w.re.test(stdout)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    get stdout() {
      return stdout;
    },
    waitFor(re, timeoutMs = 60_000) {
      if (re.test(stdout)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in stdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
        void done.then(() => reject(new Error(`the command ended before ${re} appeared:\n${stdout}\n${stderr}`)));
      });
    },
    done,
  };
}

export function runBin(args: string[], cwd?: string): Promise<Finished> {
  return startBin(args, cwd).done;
}

/** `run`'s end, or after `ms` its end by SIGKILL (signal "SIGKILL" in the result, its output so far kept): a hang fails with what it printed. */
export async function finishWithin(run: Running, ms: number): Promise<Finished> {
  const timer = setTimeout(() => run.child.kill("SIGKILL"), ms);
  try {
    return await run.done;
  } finally {
    clearTimeout(timer);
  }
}

/** A `flatfit compare` that a test file's tests share: `result` and `report` are set once `test.before` has run it. */
export interface CompareRun {
  dir: string;
  /** --out: report.html, results.json, runs/ */
  out: string;
  result: Finished;
  /** out/results.json */
  report: CompareReport;
}

/**
 * Registers a `test.before` that writes `yaml` to a new temporary folder (named from `prefix`) as
 * compare.yaml and runs `flatfit compare --config … --out DIR/out --quiet` on it.
 */
export function compareBefore(prefix: string, yaml: string): CompareRun {
  const dir = tempDir(prefix);
  const run = { dir, out: path.join(dir, "out") } as CompareRun;
  test.before(async () => {
    const config = writeConfig(dir, "compare.yaml", yaml);
    run.result = await runBin(["compare", "--config", config, "--out", run.out, "--quiet"]);
    run.report = JSON.parse(readFileSync(path.join(run.out, "results.json"), "utf8"));
  });
  return run;
}

/**
 * Checks `ready` every `everyMs` while `run` runs and SIGKILLs it the first time `ready` returns a
 * value other than undefined; returns that value, or undefined when the run ended first.
 */
export async function killWhen<T>(run: Running, ready: () => T | undefined, everyMs: number): Promise<T | undefined> {
  const exited = run.done.then(() => true);
  while (!(await Promise.race([exited, new Promise<false>((r) => setTimeout(() => r(false), everyMs))]))) {
    const value = ready();
    if (value !== undefined) {
      run.child.kill("SIGKILL");
      return value;
    }
  }
  return undefined;
}

/** The suite's cpu backend ("cpu", or "cpu-unfused" as the test setup chose), without tfjs's "install tfjs-node" banner. */
export async function cpuBackend(): Promise<void> {
  const tf = await import("@tensorflow/tfjs");
  await tf.setBackend(process.env.FLATFIT_TEST_BACKEND || "cpu");
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}
