/**
 * Each gradient plugin's median step time inside `model.fit`, as a ratio to plain `model.fit` on
 * the same model and data, beside its gradient evaluations per step (counted, not assumed).
 */
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type FlatfitHooks, type GradientOracle, type PluginSpec } from "@flatfit/core";
import { cnnProblem, mlpProblem, type Problem } from "../problems";
import { fitStepMs, sideBySide, table, type Variant } from "../timing";

export interface Entry {
  label: string;
  plugins: PluginSpec[];
  target?: number;
}

export const ENTRIES: Entry[] = [
  { label: "pertopt", plugins: [{ use: "pertopt" }], target: 1.5 },
  { label: "grad-l1", plugins: [{ use: "grad-l1", lambda: 0.01 }], target: 2.3 },
  { label: "nso (k = 1)", plugins: [{ use: "nso", sigma: 0.01, samples: 1 }], target: 2.5 },
  { label: "hero", plugins: [{ use: "hero", h: 0.5, gamma: 0.1 }], target: 3.3 },
  { label: "seht (samples 1)", plugins: [{ use: "seht", lambda: 0.01, samples: 1 }], target: 3.3 },
  { label: "seht (every 10)", plugins: [{ use: "seht", lambda: 0.01, samples: 1, every: 10 }], target: 1.4 },
];

/** Counts the gradient evaluations that reach the base oracle (listed first, it wraps it). */
class CountEvaluations {
  static id = "count-evaluations";
  calls = 0;
  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap("count-evaluations", (oracle: GradientOracle) => () => {
      this.calls++;
      return oracle();
    });
  }
}

const compile = (m: tf.LayersModel, optimizer: tf.Optimizer) =>
  m.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });

async function evaluationsPerStep(p: Problem, e: Entry): Promise<number> {
  const ff = await createFlatfit({ seed: 1, logLevel: "warn", plugins: [{ use: CountEvaluations }, ...e.plugins] });
  const m = p.build();
  compile(m, ff.wrap(tf.train.sgd(0.01)));
  const steps = 10;
  const n = steps * p.batchSize;
  const x = p.x.slice(0, Math.min(n, p.x.shape[0]));
  const y = p.y.slice(0, Math.min(n, p.y.shape[0]));
  await m.fit(x, y, { epochs: 1, batchSize: p.batchSize, shuffle: false, verbose: 0, callbacks: [ff.callbacks()] });
  const taken = Math.ceil(x.shape[0] / p.batchSize);
  const calls = ff.plugin<CountEvaluations>(0).calls;
  ff.dispose();
  m.dispose();
  tf.dispose([x, y]);
  return calls / taken;
}

/** Plain fit and every entry on one problem, interleaved; a row per variant (also used by the wasm case). */
export async function problemTable(p: Problem, repeats: number, entries: readonly Entry[] = ENTRIES): Promise<{ rows: (string | number)[][]; ratios: Map<string, number>; ms: Map<string, number> }> {
  const plain = p.build();
  compile(plain, tf.train.sgd(0.01));
  const variants: Variant[] = [{ name: "plain", run: () => fitStepMs(plain, p.x, p.y, p.batchSize) }];
  const evals = new Map<string, number>();
  for (const e of entries) {
    evals.set(e.label, await evaluationsPerStep(p, e));
    const ff = await createFlatfit({ seed: 1, logLevel: "warn", plugins: e.plugins });
    const m = p.build();
    compile(m, ff.wrap(tf.train.sgd(0.01)));
    const cb = ff.callbacks();
    variants.push({ name: e.label, run: () => fitStepMs(m, p.x, p.y, p.batchSize, [cb]) });
  }
  const ms = await sideBySide(variants, repeats);
  const base = ms.get("plain")!;
  const ratios = new Map<string, number>();
  const rows: (string | number)[][] = [["plain `model.fit`", 1, base.toFixed(1), "1.00", ""]];
  for (const e of entries) {
    const r = ms.get(e.label)! / base;
    ratios.set(e.label, r);
    const ok = e.target === undefined ? "" : `${r <= e.target ? "✓" : "✗"} ≤ ${e.target}`;
    rows.push([e.label, evals.get(e.label)!.toFixed(1), ms.get(e.label)!.toFixed(1), r.toFixed(2), ok]);
  }
  return { rows, ratios, ms };
}

export async function pluginsCase(repeats: number): Promise<string> {
  const out: string[] = [];
  for (const p of [mlpProblem(), cnnProblem()]) {
    const { rows } = await problemTable(p, repeats);
    out.push(
      `### Plugins inside \`model.fit\`: ${p.name}, batch ${p.batchSize}, ${p.x.shape[0]} examples, median of ${repeats}`,
      "",
      table(["method", "gradient evaluations / step", "ms / step", "ratio to plain fit", "target"], rows),
      "",
    );
  }
  out.push(
    "Gradient evaluations are counted at the base oracle during a short untimed fit. Every plugin step also",
    "runs one clean closure call for fit's reported loss and metrics: a gradient evaluation where the method",
    "needs ∇L(W) anyway, otherwise a forward pass only (NSO, PertOPT).",
  );
  return out.join("\n");
}
