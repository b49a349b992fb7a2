/** The order-of-accuracy check for a quantity a plugin computes by finite differences (core's `hvp`). */
import type { ExecutionContext } from "ava";

export type DifferenceMethod = "forward" | "central";

/** One step's result: the relative error of the quantity against its analytic value, and the loss evaluations the step made. */
export interface DifferenceRun {
  err: number;
  evaluations: number;
}

export interface DifferenceOrderOptions<R extends DifferenceRun> {
  /** What the error is of, for the log ("H·sign(g)"). */
  quantity: string;
  /** Loss evaluations of a step with each method, and what they are (the assertion's message). */
  evaluations: Record<DifferenceMethod, { count: number; what: string }>;
  /** More checks on the forward and central runs at each compared step (1e-3, 1e-2). */
  inspect?: (runs: Record<DifferenceMethod, R>, relativeStep: number) => void;
}

/**
 * Checks that `hvp.method` reaches the quantity and that the methods have their orders of accuracy.
 * `errorAt(method, relativeStep)` runs one step with `hvp: { method, relativeStep }` and returns
 * the quantity's relative error; runs are deterministic (fixed seeds), so each (method, step) runs once.
 *
 * - at relativeStep 1e-3 and 1e-2: each method makes its `evaluations`, and central's error is
 *   3× (at 1e-3, where float32 rounding u·|g|/(ε·|H·v|) is already most of it) and 30× (at 1e-2,
 *   where truncation dominates forward's) below forward's;
 * - a 10× step multiplies forward's error by 5–20 (first order) and central's by more than 50
 *   (second order: 100).
 */
export async function checkDifferenceOrder<R extends DifferenceRun>(
  t: ExecutionContext,
  errorAt: (method: DifferenceMethod, relativeStep: number) => Promise<R>,
  opts: DifferenceOrderOptions<R>,
): Promise<void> {
  const runs = new Map<string, R>();
  const run = async (method: DifferenceMethod, relativeStep: number): Promise<R> => {
    const key = `${method} ${relativeStep}`;
    if (!runs.has(key)) runs.set(key, await errorAt(method, relativeStep));
    return runs.get(key)!;
  };
  for (const relativeStep of [1e-3, 1e-2]) {
    const forward = await run("forward", relativeStep);
    const central = await run("central", relativeStep);
    t.log(
      `relativeStep ${relativeStep}: relative error of ${opts.quantity} forward ${forward.err.toExponential(2)} (${forward.evaluations} evaluations), ` +
        `central ${central.err.toExponential(2)} (${central.evaluations} evaluations)`,
    );
    opts.inspect?.({ forward, central }, relativeStep);
    for (const method of ["forward", "central"] as const) {
      const { count, what } = opts.evaluations[method];
      t.is((method === "forward" ? forward : central).evaluations, count, `${method}: ${what}`);
    }
    const factor = relativeStep >= 1e-2 ? 30 : 3;
    t.true(central.err * factor <= forward.err, `central ${central.err} is not ${factor}× below forward ${forward.err}`);
  }
  // The forward error is O(ε): ten times the step, about ten times the error. The central one is O(ε²).
  const f3 = await run("forward", 1e-3);
  const f2 = await run("forward", 1e-2);
  const c2 = await run("central", 1e-2);
  const c1 = await run("central", 1e-1);
  t.log(`error ratio for a 10× step: forward ${(f2.err / f3.err).toFixed(1)} (first order: 10), central ${(c1.err / c2.err).toFixed(1)} (second order: 100)`);
  t.true(f2.err / f3.err > 5 && f2.err / f3.err < 20, `forward ratio ${f2.err / f3.err}`);
  t.true(c1.err / c2.err > 50, `central ratio ${c1.err / c2.err}`);
}
