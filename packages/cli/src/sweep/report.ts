/**
 * The end of a sweep, embedded or from the queue: the finished trials ranked by the metric, as a
 * table (printed) and as DIR/results.json.
 */
import * as path from "node:path";
import { fmt } from "../progress";
import { writeJsonAtomic } from "../run-dir";
import { formatTable } from "../table";
import type { TrainOutcome } from "../training/run";
import { metricValue, rankBy, type RankedTrial } from "./rank";

export interface FinishedTrial {
  id: string;
  assignment: Record<string, unknown>;
  outcome: TrainOutcome;
}

export interface SweepRanking {
  ranked: RankedTrial<FinishedTrial>[];
  /** The heading line and the table. */
  lines: string[];
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export function rankSweep(finished: FinishedTrial[], grid: Record<string, unknown[]>, metric: string, order: "max" | "min"): SweepRanking {
  const ranked = rankBy(finished, (r) => metricValue(r.outcome, metric), order);
  const keys = Object.keys(grid);
  const rows = ranked.map((r) => [String(r.rank), r.trial.id, ...keys.map((k) => JSON.stringify(r.trial.assignment[k])), r.value === undefined ? "–" : fmt(r.value), fmt(mean(r.trial.outcome.secondsPerEpoch))]);
  return { ranked, lines: [`trials ranked by ${metric} (${order === "max" ? "highest" : "lowest"} first):`, formatTable(["rank", "trial", ...keys, metric, "s / epoch"], rows)] };
}

/** Writes DIR/results.json (each trial's file is DIR/trials/<id>.json). */
export function writeSweepResults(out: string, ranking: SweepRanking, grid: Record<string, unknown[]>, metric: string, order: "max" | "min", complete: boolean): string {
  const file = path.join(out, "results.json");
  writeJsonAtomic(file, {
    metric,
    order,
    grid,
    complete,
    trials: ranking.ranked.map((r) => ({ rank: r.rank, id: r.trial.id, assignment: r.trial.assignment, value: r.value ?? null, evaluation: r.trial.outcome.evaluation ?? null, secondsPerEpoch: mean(r.trial.outcome.secondsPerEpoch), file: `trials/${r.trial.id}.json` })),
  });
  return file;
}
