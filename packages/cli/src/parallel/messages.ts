/** What the job pool and its worker threads send each other. */
import type { LogLevel } from "@flatfit/core";
import type { ProgressEvent } from "../progress";
import type { JobSpec } from "../training/job";
import type { TrainOutcome } from "../training/run";

export type ToWorker = { type: "job"; spec: JobSpec };

export type FromWorker =
  | { type: "progress"; event: ProgressEvent }
  | { type: "log"; level: Exclude<LogLevel, "silent">; message: string }
  | { type: "done"; id: string; outcome: TrainOutcome }
  | { type: "error"; id: string; message: string; stack?: string };
