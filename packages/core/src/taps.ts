/**
 * What every tap of a flatfit instance's hooks is wrapped in, built-in and third-party alike:
 *
 *   - errors name their source: `plugins[1] (grad-l1), hook "gradient": <message>`;
 *   - a waterfall tap (`gradient`, `afterGradient`) that returns nothing is an error, not a
 *     silently skipped tap;
 *   - the oracle a `gradient` tap returns runs in a "same draws" frame of the instance's random
 *     source: within one step every call of a plugin's oracle draws the same numbers (common
 *     random numbers), so a Hessian plugin listed after a noisy one differences gradients taken
 *     at the same noise.
 *
 * Taps are attributed to the plugin whose `apply(hooks)` registered them (`TapOwner`).
 */
import { FlatfitClosureError } from "./closure-guard";
import type { StepContext } from "./context";
import type { FlatfitHooks } from "./hooks";
import type { GradientOracle, GradientResult } from "./perturb";
import type { RandomSource } from "./random";

/** An error raised inside a plugin's tap, wrapped with where it came from. */
export class FlatfitPluginError extends Error {
  constructor(
    /** e.g. `plugins[1] (grad-l1)`, or `tap "my-tap"` for a tap no plugin registered. */
    readonly source: string,
    readonly hook: string,
    override readonly cause: unknown,
  ) {
    super(`${source}, hook "${hook}": ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "FlatfitPluginError";
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${this.message}\n  caused by: ${cause.stack}`;
  }
}

/** Who is registering taps right now (set around each plugin's `apply`). */
export class TapOwner {
  label?: string;
  during<T>(label: string, fn: () => T): T {
    const before = this.label;
    this.label = label;
    try {
      return fn();
    } finally {
      this.label = before;
    }
  }
}

/**
 * A kernel the active tfjs backend lacks, met inside a plugin's tap (usually the gradient of a
 * layer, which the plugin only asked for): the backend's gap, not the plugin's fault, so it is not
 * named after the plugin. `cause` is tfjs's error.
 */
export class FlatfitBackendError extends Error {
  constructor(
    readonly kernel: string,
    readonly backend: string,
    override readonly cause: Error,
  ) {
    super(
      `tfjs's "${backend}" backend has no kernel "${kernel}", which this step needs (met while a plugin evaluated the model; plain training needs it too). ` +
        `If @flatfit/backends has it, call installBackendExtras() from @flatfit/backends once at start (it registers the training kernels wasm and cpu lack); ` +
        `otherwise choose another backend.`,
    );
    this.name = "FlatfitBackendError";
    if (cause.stack) this.stack = `${this.name}: ${this.message}\n  caused by: ${cause.stack}`;
  }
}

const MISSING_KERNEL = /Kernel '([^']+)' not registered for backend '([^']+)'/;

/** A tap's error, named after its source; a broken closure rule is the caller's error and a missing kernel the backend's: they pass as they are. */
const named = (source: string, hook: string, err: unknown): unknown => {
  if (err instanceof FlatfitPluginError || err instanceof FlatfitClosureError || err instanceof FlatfitBackendError) return err;
  const missing = err instanceof Error ? MISSING_KERNEL.exec(err.message) : null;
  if (missing) return new FlatfitBackendError(missing[1], missing[2], err as Error);
  return new FlatfitPluginError(source, hook, err);
};

/** Per-step tapes of random numbers, one per gradient tap. */
const tapesOf = new WeakMap<StepContext, Map<number, number[]>>();

type AnyFn = (...args: unknown[]) => unknown;
type Interceptable = { intercept(interceptor: { register?: (tap: unknown) => unknown }): void };
type TapInfo = { name: string; type: string; fn: AnyFn };

export function instrumentTaps(hooks: FlatfitHooks, owner: TapOwner, random: RandomSource): void {
  let gradientTaps = 0;
  for (const [hookName, hook] of Object.entries(hooks) as unknown as Array<[string, Interceptable]>) {
    const waterfall = hookName === "gradient" || hookName === "afterGradient";
    hook.intercept({
      register: (tap) => {
        const info = tap as unknown as TapInfo;
        const source = owner.label ?? `tap "${info.name}"`;
        const fn = info.fn;
        if (info.type === "promise") {
          info.fn = async (...args: unknown[]) => {
            try {
              return await fn(...args);
            } catch (err) {
              throw named(source, hookName, err);
            }
          };
          return tap;
        }
        if (info.type === "async") {
          info.fn = (...args: unknown[]) => {
            const done = args.pop() as (err?: unknown, result?: unknown) => void;
            try {
              return fn(...args, (err?: unknown, result?: unknown) => done(err == null ? err : named(source, hookName, err), result));
            } catch (err) {
              done(named(source, hookName, err));
            }
          };
          return tap;
        }
        const index = hookName === "gradient" ? gradientTaps++ : -1;
        info.fn = (...args: unknown[]) => {
          let out: unknown;
          try {
            out = fn(...args);
          } catch (err) {
            throw named(source, hookName, err);
          }
          if (waterfall && out === undefined) {
            throw new FlatfitPluginError(
              source,
              hookName,
              new Error(
                hookName === "gradient"
                  ? "the tap returned undefined; a gradient tap returns an oracle (the one it was given, or one that wraps it)"
                  : "the tap returned undefined; an afterGradient tap returns the gradients (the ones it was given, or transformed ones)",
              ),
            );
          }
          if (hookName === "gradient") return sameDrawsOracle(out as GradientOracle, args[1] as StepContext, index, source, random);
          return out;
        };
        return tap;
      },
    });
  }
}

function sameDrawsOracle(oracle: GradientOracle, ctx: StepContext, index: number, source: string, random: RandomSource): GradientOracle {
  if (typeof oracle !== "function") {
    throw new FlatfitPluginError(source, "gradient", new Error(`the tap returned ${typeof oracle}; a gradient tap returns an oracle: () => ({loss, grads})`));
  }
  return () => {
    let tapes = tapesOf.get(ctx);
    if (!tapes) tapesOf.set(ctx, (tapes = new Map()));
    let tape = tapes.get(index);
    if (!tape) tapes.set(index, (tape = []));
    let result: GradientResult;
    try {
      result = random.sameDraws(tape, oracle);
    } catch (err) {
      throw named(source, "gradient", err);
    }
    if (result === null || typeof result !== "object" || typeof result.grads !== "object" || result.grads === null) {
      throw new FlatfitPluginError(source, "gradient", new Error("its oracle returned no {loss, grads}"));
    }
    return result;
  };
}
