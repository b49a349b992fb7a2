/**
 * A worker thread of the job pool: runs the jobs it is sent one after the other and posts back
 * their progress, log lines, and outcome (or error).
 */
import "reflect-metadata";
import { parentPort } from "node:worker_threads";
import { executeJob, type JobSpec } from "../training/job";
import type { FromWorker, ToWorker } from "./messages";

const port = parentPort;
if (!port) throw new Error("worker.js is a worker thread of the flatfit job pool; it is not run directly");

port.on("message", async (msg: ToWorker) => {
  if (msg.type !== "job") return;
  const spec: JobSpec = msg.spec;
  const post = (m: FromWorker) => port.postMessage(m);
  try {
    const outcome = await executeJob(spec, {
      progress: (event) => post({ type: "progress", event }),
      logSink: (level, message) => post({ type: "log", level, message }),
    });
    post({ type: "done", id: spec.id, outcome });
  } catch (err) {
    const e = err as Error;
    post({ type: "error", id: spec.id, message: e?.message ?? String(err), stack: e?.stack });
  }
});
