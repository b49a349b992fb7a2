/** The trainings of a comparison: every method with every seed, from the same base setup. */
import * as path from "node:path";
import { resolveRunConfig } from "../config/resolve";
import type { CompareConfig, Method, TrainConfig } from "../config/schema";
import type { JobSpec } from "../training/job";

/** "hero (gamma 0.1)" → "hero-gamma-0.1": a folder-safe name. */
export function slug(name: string): string {
  return name.replace(/[^\w.-]+/g, "-").replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "") || "run";
}

/** A method's epochs and batch size: its own where it sets them, else the base ones. */
export function methodSchedule(c: CompareConfig, method: Method): { epochs: number; batchSize: number } {
  return { epochs: method.epochs ?? c.base.epochs, batchSize: method.batchSize ?? c.base.batchSize };
}

/** Each method's epochs × batch size: "small 2 × 10, base 1 × 20". */
export function describeSchedules(c: CompareConfig): string {
  return c.methods
    .map((m) => {
      const { epochs, batchSize } = methodSchedule(c, m);
      return `${m.name} ${epochs} × ${batchSize}`;
    })
    .join(", ");
}

/** The run of `method` with `seed`: the method's plugins first, then the base plugins. */
export function methodConfig(c: CompareConfig, method: Method, seed: number): TrainConfig {
  return {
    ...c.base,
    seed,
    optimizer: method.optimizer ?? c.base.optimizer,
    ...methodSchedule(c, method),
    plugins: [...method.plugins, ...c.base.plugins],
    landscape: seed === c.seeds[0] ? c.base.landscape : undefined,
  };
}

/** The id (and run folder name) of method `index` with `seed`: "hero-seed1"; unique per comparison. */
export function jobId(c: CompareConfig, index: number, seed: number): string {
  const s = slug(c.methods[index].name);
  const taken = c.methods.slice(0, index).some((m) => slug(m.name) === s);
  return `${taken ? `${s}-${index}` : s}-seed${seed}`;
}

/** The trainings, each with its config as its run directory records it (plugin defaults filled in, paths absolute). */
export function compareJobs(c: CompareConfig, baseDir: string, outDir: string): JobSpec[] {
  return c.methods.flatMap((m, i) =>
    c.seeds.map((seed) => ({
      id: jobId(c, i, seed),
      job: { config: resolveRunConfig(methodConfig(c, m, seed), baseDir), baseDir, label: c.seeds.length > 1 ? `${m.name} s${seed}` : m.name },
      runDir: path.join(outDir, "runs", jobId(c, i, seed)),
    })),
  );
}
