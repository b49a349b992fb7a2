/**
 * Trainings in worker threads of the embedded job pool (parallel/worker.js, which runs
 * `executeJob`): a queue worker trains through exactly the code path of `flatfit sweep` and
 * `compare`, and its main thread stays free to renew the jobs' locks and report progress while
 * tfjs computes. A thread is kept for the next trial (tfjs and the data load once); `abort` ends
 * it, and the training in it, at once.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { LogSink } from "@flatfit/core";
import type { FromWorker, ToWorker } from "../parallel/messages";
import type { ProgressSink } from "../progress";
import type { JobSpec } from "../training/job";
import type { TrainOutcome } from "../training/run";

const WORKER_FILE = path.join(__dirname, "..", "parallel", "worker.js");

export class AbortedError extends Error {
  constructor() {
    super("training aborted");
  }
}

export class TrainingThread {
  private worker?: Worker;
  private current?: { id: string; progress: ProgressSink; logSink: LogSink; resolve: (o: TrainOutcome) => void; reject: (err: Error) => void };

  run(spec: JobSpec, progress: ProgressSink, logSink: LogSink): Promise<TrainOutcome> {
    if (this.current) throw new Error("TrainingThread.run: a training is running in this thread");
    const worker = (this.worker ??= this.start());
    return new Promise<TrainOutcome>((resolve, reject) => {
      this.current = { id: spec.id, progress, logSink, resolve, reject };
      worker.postMessage({ type: "job", spec } satisfies ToWorker);
    }).finally(() => (this.current = undefined));
  }

  /** Stops the running training now (`run` rejects with AbortedError); the next `run` starts a new thread. */
  abort(): void {
    this.current?.reject(new AbortedError());
    this.close();
  }

  close(): void {
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_FILE);
    worker.on("message", (m: FromWorker) => {
      const c = this.current;
      if (!c) return;
      if (m.type === "progress") c.progress(m.event);
      else if (m.type === "log") c.logSink(m.level, m.message);
      else if (m.id !== c.id) return;
      else if (m.type === "done") c.resolve(m.outcome);
      else {
        const err = new Error(m.message);
        if (m.stack) err.stack = m.stack;
        c.reject(err);
      }
    });
    const gone = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      this.current?.reject(err);
    };
    worker.on("error", gone);
    worker.on("exit", (code) => gone(code === 0 ? new AbortedError() : new Error(`the training thread exited with code ${code}`)));
    return worker;
  }
}
