/**
 * `flatfit compare --config compare.yaml --queue redis://… [--detach]`: every method × seed goes on
 * the queue as a trial (job id = the SHA-256 trial id of its resolved config), the command follows
 * the queue, and prints the same tables and writes the same report.html and results.json as the
 * embedded comparison, from the results stored in Redis. Run directories with models are left by
 * the workers (--artifacts); this command writes none.
 */
import * as path from "node:path";
import { compareJobs } from "../compare/jobs";
import { finishCompare } from "../compare/output";
import type { CompareOptions } from "../commands/compare";
import { defaultOutDir, onExit } from "../commands/common";
import { loadCompareConfig } from "../config/load";
import { trainFields, type TrainConfig } from "../config/schema";
import { TerminalProgress } from "../progress";
import { trialId } from "../sweep/grid";
import type { TrainOutcome } from "../training/run";
import { saveManifest, type ManifestTrial } from "./results";
import { followEnqueued, openSession } from "./session";

const TRAIN_FIELDS = Object.keys(trainFields).filter((k) => k !== "$schema");
const trainOnly = (c: TrainConfig): TrainConfig => Object.fromEntries(Object.entries(c).filter(([k]) => TRAIN_FIELDS.includes(k))) as unknown as TrainConfig;

export async function queueCompare(opts: CompareOptions): Promise<number> {
  const started = performance.now();
  const { config, dir, file } = await loadCompareConfig(opts.config);
  const name = config.name ?? path.basename(file).replace(/\.(ya?ml|json)$/i, "");
  const out = path.resolve(opts.out ?? defaultOutDir(config.name, file));
  // a method's config carries the comparison's own fields (methods, seeds, …): a trial is the training fields alone
  const specs = compareJobs(config, dir, out).map((s) => ({ ...s, job: { ...s.job, config: trainOnly(s.job.config) } }));
  const listed: ManifestTrial[] = specs.map((s) => ({ id: trialId(s.job.config), label: s.job.label, assignment: { run: s.id } }));
  const terminal = new TerminalProgress(!opts.quiet);
  const s = await openSession(opts.queue);
  const release = onExit(() => terminal.stop(), { message: "interrupted: the trainings stay on the queue; `flatfit status` or the same command follows them again", print: (l) => process.stderr.write(`${l}\n`) });
  try {
    await saveManifest(s.redis, { kind: "compare", name, file: path.resolve(file), createdAt: new Date().toISOString(), config, trials: listed });
    const unique = new Map(specs.map((spec, i) => [listed[i].id, { id: listed[i].id, config: spec.job.config, baseDir: dir, label: spec.job.label }]));
    const counts = await s.enqueue([...unique.values()]);
    terminal.log(`flatfit compare ${file}: ${config.methods.map((m) => m.name).join(", ")}; ${specs.length} trainings (${config.methods.length} methods × ${config.seeds.length} seeds)`);
    const snap = await followEnqueued(s, name, counts, listed, terminal, opts.detach);
    if (!snap) return 0; // detached
    const failed = snap.views.filter((v) => v.state !== "done");
    if (failed.length) {
      for (const v of failed) terminal.log(`failed: ${v.trial.label}: ${v.reason ?? v.state}`);
      terminal.log(`${failed.length} training(s) failed: no report; run the same command to retry them`);
      return 1;
    }
    const outcomes = new Map<string, TrainOutcome>(listed.map((t) => [String(t.assignment.run), snap.results.get(t.id)!.outcome]));
    const workers = new Set([...snap.results.values()].map((r) => r.worker)).size;
    await finishCompare(config, outcomes, workers, out, (l) => terminal.log(l), started);
    return 0;
  } finally {
    terminal.stop();
    release();
    await s.close();
  }
}
