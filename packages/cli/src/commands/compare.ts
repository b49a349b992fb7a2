/**
 * `flatfit compare --config compare.yaml [--out DIR] [--workers N] [--quiet]`: every method
 * with every seed from one base setup; prints the summary table (mean ± std over seeds), with
 * several seeds each method's paired difference to the baseline method (95% CI), and
 * writes DIR/report.html, DIR/results.json and a run directory per method and seed (DIR/runs/).
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { differenceRows, renderReport, summaryRows } from "@flatfit/report";
import { buildCompareReport } from "../compare/report";
import { compareJobs } from "../compare/jobs";
import { loadCompareConfig } from "../config/load";
import { describeModel } from "../model-source";
import { runJobs } from "../parallel/pool";
import { TerminalProgress } from "../progress";
import { writeJsonAtomic } from "../run-dir";
import { formatTable } from "../table";
import { backendLine, defaultOutDir, logSinkTo, onExit } from "./common";

export interface CompareOptions {
  config: string;
  out?: string;
  workers?: number;
  quiet?: boolean;
}

export async function compareCommand(opts: CompareOptions): Promise<number> {
  const started = performance.now();
  const { config, dir, file } = await loadCompareConfig(opts.config);
  const out = path.resolve(opts.out ?? defaultOutDir(config.name, file));
  const specs = compareJobs(config, dir, out);
  const workers = Math.max(1, Math.min(opts.workers ?? config.workers, specs.length));
  const terminal = new TerminalProgress(!opts.quiet);
  const b = config.base;
  terminal.log(`flatfit compare ${file}: ${config.methods.map((m) => m.name).join(", ")}`);
  terminal.log(`${specs.length} trainings (${config.methods.length} methods × ${config.seeds.length} seeds) of ${describeModel(b.model)}, ${b.epochs} epochs each; ${workers} at a time`);
  terminal.log(backendLine());
  const release = onExit(() => terminal.stop(), { message: "interrupted: the finished trainings' run directories are in " + path.join(out, "runs"), print: (l) => process.stderr.write(`${l}\n`) });
  try {
    const outcomes = await runJobs(specs, {
      workers,
      progress: terminal.sink,
      logSink: logSinkTo((l) => terminal.log(l), "warn"),
      failFast: true,
      onDone: (spec, o) => {
        const acc = o.evaluation?.map((r) => `${r.variant} ${(100 * (r.metrics.acc ?? NaN)).toFixed(2)}%`).join(", ");
        terminal.log(`done: ${spec.job.label} (${o.seconds.toFixed(0)} s)${acc ? `: ${acc}` : ""}`);
      },
    });
    terminal.stop();
    const report = buildCompareReport(config, outcomes, workers);
    const { header, rows } = summaryRows(report);
    const html = path.join(out, "report.html");
    writeJsonAtomic(path.join(out, "results.json"), report);
    writeFileSync(html, await renderReport(report));
    terminal.log("");
    terminal.log(`${report.title} — test accuracy (%) after quantization to each bit-width, mean ± std over ${config.seeds.length} seed(s)`);
    terminal.log(formatTable(header, rows));
    const diff = differenceRows(report);
    if (diff) {
      terminal.log("");
      terminal.log(`${diff.legend}:`);
      terminal.log(formatTable(diff.header, diff.rows));
    }
    terminal.log("");
    terminal.log(`data: ${report.setup.data}`);
    terminal.log(`took ${((performance.now() - started) / 1000).toFixed(0)} s on ${report.machine}`);
    terminal.log(`report: ${html}`);
    return 0;
  } finally {
    terminal.stop();
    release();
  }
}
