/**
 * Counts, at a tfjs backend, device→host reads (`read`, `readSync`: what every `data()`,
 * `dataSync()` and `array()` ends in; on webgl and webgpu each is a GPU readback) and GPU programs
 * (`runWebGLProgram` / `runWebGPUProgram`: shader dispatches), while `watch` runs a function.
 * Wrap the steps to count inside them: `counter.watchSteps(optimizer)`.
 */
import * as tf from "@tensorflow/tfjs";

const READS = ["read", "readSync"] as const;
const PROGRAMS = ["runWebGLProgram", "runWebGPUProgram"] as const;

export class BackendCounter {
  reads = 0;
  programs = 0;
  /** Steps (optimizer.minimize calls) seen by watchSteps. */
  steps = 0;
  private watching = false;
  private readonly originals = new Map<string, unknown>();

  constructor(private readonly backend: tf.KernelBackend = tf.backend()) {
    const be = backend as unknown as Record<string, (...args: unknown[]) => unknown>;
    // a backend's read may call its own readSync (cpu does): one readback counts once
    const depth = { reads: 0, programs: 0 };
    const wrap = (name: string, kind: "reads" | "programs") => {
      const original = be[name];
      if (typeof original !== "function") return;
      this.originals.set(name, Object.prototype.hasOwnProperty.call(be, name) ? original : undefined);
      const self = this;
      be[name] = function (this: unknown, ...args: unknown[]) {
        // nested programs (webgl's pack/unpack around a kernel) are dispatches of their own
        if (self.watching && (kind === "programs" || depth.reads === 0)) self[kind]++;
        depth[kind]++;
        try {
          return original.apply(this, args);
        } finally {
          depth[kind]--;
        }
      };
    };
    for (const m of READS) wrap(m, "reads");
    for (const m of PROGRAMS) wrap(m, "programs");
  }

  /** Runs fn with counting on. */
  watch<T>(fn: () => T): T {
    const before = this.watching;
    this.watching = true;
    try {
      return fn();
    } finally {
      this.watching = before;
    }
  }

  /** Counts inside every `minimize` call of this optimizer (each step of fit, trainOnBatch, …). */
  watchSteps(optimizer: tf.Optimizer): void {
    const minimize = optimizer.minimize.bind(optimizer);
    optimizer.minimize = ((f: () => tf.Scalar, returnCost?: boolean, varList?: tf.Variable[]) => {
      this.steps++;
      return this.watch(() => minimize(f, returnCost, varList));
    }) as typeof optimizer.minimize;
  }

  /** Puts the backend's methods back. */
  restore(): void {
    const be = this.backend as unknown as Record<string, unknown>;
    for (const [name, own] of this.originals) {
      if (own === undefined) delete be[name];
      else be[name] = own;
    }
    this.originals.clear();
  }
}
