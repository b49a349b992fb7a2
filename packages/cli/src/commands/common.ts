/** What the commands share: output folders, the backend line, log sinks, error exits. */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { LogSink } from "@flatfit/core";

/** runs/<name>, or runs/<config file name without extension>. */
export function defaultOutDir(name: string | undefined, file: string, stamp = false): string {
  const base = name ?? path.basename(file).replace(/\.(ya?ml|json)$/i, "");
  if (!stamp) return path.join("runs", base);
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  return path.join("runs", `${base}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`);
}

/** "backend: cpu (…)" — said once, at start. */
export function backendLine(): string {
  const name = tf.getBackend();
  if (name === "cpu") return "backend: cpu (pure-JS @tensorflow/tfjs; install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node for native speed)";
  if (name === "wasm") return "backend: wasm (@tensorflow/tfjs-backend-wasm with @flatfit/backends' kernels, single-threaded; install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node for native speed)";
  return `backend: ${name}`;
}

/** A log sink printing through `print`, from `min` level up. */
export function logSinkTo(print: (line: string) => void, min: "warn" | "info"): LogSink {
  return (level, message) => {
    if (min === "warn" && (level === "info" || level === "debug")) return;
    print(`${level === "error" || level === "warn" ? `${level}: ` : ""}[flatfit] ${message}`);
  };
}


/**
 * Restores the terminal (progress bars hide the cursor) however the process ends, and for
 * commands without their own Ctrl-C handling quits with 130 on Ctrl-C, saying `message`.
 */
export function onExit(stop: () => void, sigint?: { message: string; print: (line: string) => void }): () => void {
  process.once("exit", stop);
  const handler = () => {
    stop();
    sigint!.print(sigint!.message);
    process.exit(130);
  };
  if (sigint) process.once("SIGINT", handler);
  return () => {
    process.off("exit", stop);
    if (sigint) process.off("SIGINT", handler);
  };
}
