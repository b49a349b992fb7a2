/** The end of a comparison, embedded or from the queue: report.html and results.json written, the tables printed. */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { columns, differenceRows, renderReport, summaryRows, type CompareReport } from "@flatfit/report";
import type { CompareConfig } from "../config/schema";
import { writeJsonAtomic } from "../run-dir";
import { formatTable } from "../table";
import type { TrainOutcome } from "../training/run";
import { buildCompareReport } from "./report";

interface Table {
  header: string[];
  rows: string[][];
}

/** The table without the `tr H` column when no method has a Hessian trace (curvature off): a column of "–" only. */
function withoutEmptyTrace<T extends Table>(report: CompareReport, table: T): T {
  if (report.methods.some((m) => m.hessianTrace !== undefined)) return table;
  const at = 1 + columns(report).findIndex((c) => c.key === "hessianTrace"); // after the method column
  if (at === 0) return table;
  const drop = (cells: string[]) => cells.filter((_, i) => i !== at);
  return { ...table, header: drop(table.header), rows: table.rows.map(drop) };
}

/** The summary table as the terminal shows it (`flatfit compare`, `flatfit status`). */
export function summaryTable(report: CompareReport): Table {
  return withoutEmptyTrace(report, summaryRows(report));
}

/** The difference table as the terminal shows it; undefined without a baseline or with fewer than two seeds. */
export function differenceTable(report: CompareReport): (Table & { legend: string }) | undefined {
  const diff = differenceRows(report);
  return diff && withoutEmptyTrace(report, diff);
}

/** Writes DIR/results.json and DIR/report.html and prints the tables through `log`; returns the report's path. */
export async function finishCompare(config: CompareConfig, outcomes: Map<string, TrainOutcome>, workers: number, out: string, log: (line: string) => void, started: number): Promise<string> {
  const report = buildCompareReport(config, outcomes, workers);
  const { header, rows } = summaryTable(report);
  const html = path.join(out, "report.html");
  writeJsonAtomic(path.join(out, "results.json"), report);
  writeFileSync(html, await renderReport(report));
  log("");
  const what = report.quantization?.length ? "test accuracy (%) after quantization to each bit-width" : "test accuracy (%)";
  log(`${report.title} — ${what}, mean ± std over ${config.seeds.length} seed(s)`);
  log(formatTable(header, rows));
  const diff = differenceTable(report);
  if (diff) {
    log("");
    log(`${diff.legend}:`);
    log(formatTable(diff.header, diff.rows));
  }
  log("");
  log(`data: ${report.setup.data}`);
  log(`took ${((performance.now() - started) / 1000).toFixed(0)} s on ${report.machine}`);
  log(`report: ${html}`);
  return html;
}
