/** The end of a comparison, embedded or from the queue: report.html and results.json written, the tables printed. */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { differenceRows, renderReport, summaryRows } from "@flatfit/report";
import type { CompareConfig } from "../config/schema";
import { writeJsonAtomic } from "../run-dir";
import { formatTable } from "../table";
import type { TrainOutcome } from "../training/run";
import { buildCompareReport } from "./report";

/** Writes DIR/results.json and DIR/report.html and prints the tables through `log`; returns the report's path. */
export async function finishCompare(config: CompareConfig, outcomes: Map<string, TrainOutcome>, workers: number, out: string, log: (line: string) => void, started: number): Promise<string> {
  const report = buildCompareReport(config, outcomes, workers);
  const { header, rows } = summaryRows(report);
  const html = path.join(out, "report.html");
  writeJsonAtomic(path.join(out, "results.json"), report);
  writeFileSync(html, await renderReport(report));
  log("");
  const what = report.quantization?.length ? "test accuracy (%) after quantization to each bit-width" : "test accuracy (%)";
  log(`${report.title} — ${what}, mean ± std over ${config.seeds.length} seed(s)`);
  log(formatTable(header, rows));
  const diff = differenceRows(report);
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
