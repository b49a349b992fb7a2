/**
 * `flatfit sweep --config grid.yaml --queue redis://… [--detach]`: every trial goes on the queue
 * (job id = trial id), the command follows the queue until each trial is done or failed, writes
 * each result to DIR/trials/<id>.json as the embedded sweep does, and ranks them the same way.
 */
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { short, type SweepOptions } from "../commands/sweep";
import { defaultOutDir, onExit } from "../commands/common";
import { loadSweepConfig } from "../config/load";
import { resolveRunConfig } from "../config/resolve";
import { TerminalProgress } from "../progress";
import { writeJsonAtomic } from "../run-dir";
import { defaultOrder } from "../sweep/rank";
import { rankSweep, writeSweepResults } from "../sweep/report";
import { followEnqueued, openSession } from "./session";
import { saveManifest, type ManifestTrial } from "./results";

export async function queueSweep(opts: SweepOptions): Promise<number> {
  const { config, dir, file } = await loadSweepConfig(opts.config);
  const name = config.name ?? path.basename(file).replace(/\.(ya?ml|json)$/i, "");
  const out = path.resolve(opts.out ?? defaultOutDir(config.name, file));
  const { grid, metric, trials } = config;
  const order = config.order ?? defaultOrder(metric);
  const terminal = new TerminalProgress(!opts.quiet);
  const s = await openSession(opts.queue);
  const release = onExit(() => terminal.stop(), { message: "interrupted: the trials stay on the queue; `flatfit status` or the same command follows them again", print: (l) => process.stderr.write(`${l}\n`) });
  try {
    const listed: ManifestTrial[] = trials.map((t) => ({ id: t.id, label: `trial ${t.id} (${short(t.assignment)})`, assignment: t.assignment }));
    await saveManifest(s.redis, { kind: "sweep", name, file: path.resolve(file), createdAt: new Date().toISOString(), grid, metric, order, trials: listed });
    const counts = await s.enqueue(trials.map((t, i) => ({ id: t.id, config: resolveRunConfig(t.config, dir), baseDir: dir, label: listed[i].label })));
    terminal.log(`flatfit sweep ${file}: ${trials.length} trials over ${Object.keys(grid).join(", ")}`);
    const snap = await followEnqueued(s, name, counts, listed, terminal, opts.detach);
    if (!snap) return 0; // detached
    const trialsDir = path.join(out, "trials");
    mkdirSync(trialsDir, { recursive: true });
    writeJsonAtomic(path.join(out, "sweep.json"), { config: path.resolve(file), queue: s.target.shown, grid, metric, order, trials: listed.map((t) => ({ id: t.id, assignment: t.assignment })) });
    const finished = listed.flatMap((t) => {
      const r = snap.results.get(t.id);
      if (!r) return [];
      writeJsonAtomic(path.join(trialsDir, `${t.id}.json`), { id: t.id, assignment: t.assignment, config: r.config, outcome: r.outcome, file: `${t.id}.json`, worker: r.worker, finishedAt: r.finishedAt });
      return [{ id: t.id, assignment: t.assignment, outcome: r.outcome }];
    });
    const failed = snap.views.filter((v) => v.state !== "done");
    const ranking = rankSweep(finished, grid, metric, order);
    terminal.log("");
    for (const line of ranking.lines) terminal.log(line);
    const results = writeSweepResults(out, ranking, grid, metric, order, failed.length === 0);
    terminal.log(`results: ${results}${failed.length ? ` (${failed.length} trial(s) failed; run the same command to retry them)` : ""}`);
    return failed.length ? 1 : 0;
  } finally {
    terminal.stop();
    release();
    await s.close();
  }
}
