/**
 * A probe plugin for tests: listed before a plugin under test, it wraps the base oracle and
 * records the trainable variables' values at every gradient evaluation (host reads: tests only,
 * never inside the fit contract). With the clean evaluation first in a step, `offsets(step)` gives
 * the perturbation of each later evaluation: exactly what the plugin under test evaluated at.
 *
 *   const probe = new OracleProbe();
 *   const ff = await createFlatfit({ plugins: [{ use: probe.plugin() }, { use: "seht", lambda: 1 }] });
 */
import type { FlatfitHooks, GradientOracle, PluginClass, StepContext } from "@flatfit/core";

export type Snapshot = Record<string, number[]>;

export class OracleProbe {
  /** One entry per step: the variables' values at each gradient evaluation, in call order. */
  readonly steps: Snapshot[][] = [];

  /** A plugin class bound to this probe (pass it as `use`). */
  plugin(): PluginClass {
    const probe = this;
    return class OracleProbePlugin {
      static readonly id = "oracle-probe";
      apply(hooks: FlatfitHooks): void {
        hooks.gradient.tap("oracle-probe", (oracle: GradientOracle, ctx: StepContext): GradientOracle => {
          const calls: Snapshot[] = [];
          probe.steps.push(calls);
          return () => {
            const snap: Snapshot = {};
            for (const v of ctx.variables) snap[v.name] = Array.from(v.dataSync());
            calls.push(snap);
            return oracle();
          };
        });
      }
    };
  }

  /** Gradient evaluations in step `step` (default: the last). */
  count(step = this.steps.length - 1): number {
    return this.steps[step].length;
  }

  /**
   * Offsets (value at the evaluation − value at the step's first evaluation), concatenated in the
   * order of `names`, for every evaluation after the first of step `step` (default: the last).
   */
  offsets(names: string[], step = this.steps.length - 1): number[][] {
    const calls = this.steps[step];
    const at = (s: Snapshot) => names.flatMap((n) => s[n]);
    const clean = at(calls[0]);
    return calls.slice(1).map((s) => at(s).map((x, i) => x - clean[i]));
  }
}
