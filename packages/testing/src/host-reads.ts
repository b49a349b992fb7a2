/** Counts device→host reads (dataSync, arraySync, data, array) while they are being watched. */
import * as tf from "@tensorflow/tfjs";

const METHODS = ["dataSync", "arraySync", "data", "array"] as const;

export class HostReadCounter {
  count = 0;
  watching = false;
  private readonly originals = new Map<string, unknown>();

  constructor() {
    const proto = tf.Tensor.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const m of METHODS) {
      const original = proto[m];
      this.originals.set(m, original);
      const self = this;
      proto[m] = function (this: unknown, ...args: unknown[]) {
        if (self.watching) self.count++;
        return original.apply(this, args);
      };
    }
  }

  /** Runs fn with counting on. */
  watch<T>(fn: () => T): T {
    this.watching = true;
    try {
      return fn();
    } finally {
      this.watching = false;
    }
  }

  /** Counts reads inside every `minimize` call of this optimizer (i.e. inside each step). */
  watchSteps(optimizer: tf.Optimizer): void {
    const minimize = optimizer.minimize.bind(optimizer);
    optimizer.minimize = ((f: () => tf.Scalar, returnCost?: boolean, varList?: tf.Variable[]) =>
      this.watch(() => minimize(f, returnCost, varList))) as typeof optimizer.minimize;
  }

  restore(): void {
    const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
    for (const [m, fn] of this.originals) proto[m] = fn;
  }
}
