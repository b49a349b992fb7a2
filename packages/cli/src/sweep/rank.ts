/**
 * Ranking sweep trials by a metric:
 *   "acc@float32", "acc@4bit", "loss@8bit"  — a test evaluation row (metric@variant)
 *   "val_acc", "loss", any epoch-log key    — its value in the last completed epoch
 *   "hessianTrace", "secondsPerEpoch"       — the end-of-training trace, the mean epoch time
 */
import type { TrainOutcome } from "../training/run";

export function metricValue(outcome: TrainOutcome, metric: string): number | undefined {
  const at = metric.indexOf("@");
  if (at > 0) {
    const name = metric.slice(0, at);
    const row = outcome.evaluation?.find((r) => r.variant === metric.slice(at + 1));
    if (!row) return undefined;
    return name === "loss" ? row.loss : row.metrics[name];
  }
  if (metric === "hessianTrace") return outcome.hessianTrace?.value;
  if (metric === "secondsPerEpoch") {
    const s = outcome.secondsPerEpoch;
    return s.length ? s.reduce((a, b) => a + b, 0) / s.length : undefined;
  }
  return outcome.history[outcome.history.length - 1]?.[metric];
}

/** Accuracies rank best-first from the top; losses, traces and times from the bottom. */
export function defaultOrder(metric: string): "max" | "min" {
  return /acc/i.test(metric.split("@")[0]) ? "max" : "min";
}

export interface RankedTrial<T> {
  rank: number;
  value: number | undefined;
  trial: T;
}

/** Best first; trials without the metric (or NaN) last. */
export function rankBy<T>(trials: T[], value: (t: T) => number | undefined, order: "max" | "min"): RankedTrial<T>[] {
  const scored = trials.map((trial) => ({ trial, value: value(trial) }));
  const ok = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);
  scored.sort((a, b) => {
    if (!ok(a.value) || !ok(b.value)) return Number(ok(b.value)) - Number(ok(a.value));
    return order === "max" ? b.value - a.value : a.value - b.value;
  });
  return scored.map((s, i) => ({ rank: i + 1, ...s }));
}
