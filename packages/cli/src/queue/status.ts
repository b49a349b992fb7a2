/**
 * `flatfit status --queue redis://… [--name NAME]`: without a name, every sweep and comparison on
 * the queue with its counts; with one, each of its trials (queued, running with epoch, done,
 * failed with the reason) and its table so far — a sweep's ranked table, a comparison's once its
 * trainings are done.
 */
import { summaryRows } from "@flatfit/report";
import { jobId } from "../compare/jobs";
import { buildCompareReport } from "../compare/report";
import { UsageError } from "../commands/train";
import { rankSweep } from "../sweep/report";
import { formatTable } from "../table";
import type { TrainOutcome } from "../training/run";
import { queueUrlFrom, redact } from "./connection";
import { counts, describe, snapshot } from "./follow";
import { manifestNames, readManifest } from "./results";
import { openSession } from "./session";

export interface StatusOptions {
  queue?: string;
  name?: string;
}

export async function statusCommand(opts: StatusOptions): Promise<number> {
  if (queueUrlFrom(opts.queue) === undefined) throw new UsageError("status: --queue is required (or FLATFIT_QUEUE); accepted: redis://[:password@]host:port[/db] or rediss://…");
  const print = (line: string) => process.stdout.write(`${redact(line)}\n`);
  const s = await openSession(opts.queue);
  try {
    const names = await manifestNames(s.redis);
    if (opts.name === undefined) {
      if (!names.length) print(`queue ${s.target.shown}: no sweeps or comparisons`);
      for (const name of names) {
        const m = await readManifest(s.redis, name);
        if (m) print(`${m.kind} "${name}" (${m.file}): ${counts((await snapshot(s.queue, s.redis, m.trials)).views)}`);
      }
      return 0;
    }
    const m = await readManifest(s.redis, opts.name);
    if (!m) throw new UsageError(`status: --name "${opts.name}" is not on the queue ${s.target.shown}; accepted: ${names.length ? names.map((n) => `"${n}"`).join(", ") : "(none yet)"}`);
    const snap = await snapshot(s.queue, s.redis, m.trials);
    print(`${m.kind} "${m.name}" (${m.file}), ${counts(snap.views)}`);
    for (const v of snap.views) print(`  ${v.trial.label}: ${describe(v)}`);
    print("");
    if (m.kind === "sweep") {
      const finished = m.trials.flatMap((t) => {
        const r = snap.results.get(t.id);
        return r ? [{ id: t.id, assignment: t.assignment, outcome: r.outcome }] : [];
      });
      for (const line of rankSweep(finished, m.grid, m.metric, m.order).lines) print(line);
      return 0;
    }
    const outcomes = new Map<string, TrainOutcome>(m.trials.flatMap((t) => (snap.results.has(t.id) ? [[String(t.assignment.run), snap.results.get(t.id)!.outcome] as const] : [])));
    const first = jobId(m.config, 0, m.config.seeds[0]);
    if (!outcomes.has(first)) {
      print(`the table comes once ${first} is done`);
      return 0;
    }
    let table: string;
    try {
      const { header, rows } = summaryRows(buildCompareReport(m.config, outcomes, 1));
      table = formatTable(header, rows);
    } catch {
      print("the table comes once every method has a training done");
      return 0;
    }
    print("test accuracy (%) so far, mean ± std over the seeds done:");
    print(table);
    return 0;
  } finally {
    await s.close();
  }
}
