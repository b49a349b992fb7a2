/**
 * Makes repeated evaluations of one training closure behave like one.
 *
 * `model.fit`'s closure has three side effects per call: it keeps one tensor per metric, it
 * draws random numbers (Dropout masks, seeded from `Math.random`), and in training mode it
 * writes non-trainable variables (BatchNorm moving statistics). The first call of a step is
 * the clean one that `fit` reports from; every later call of the same step:
 *   - replays the random draws of the first call (same Dropout masks: finite differences of
 *     gradients are only meaningful on the same sub-network),
 *   - disposes the tensors the closure keeps (they would leak otherwise),
 *   - puts back every variable outside the step's trainable set that the call wrote.
 */
import * as tf from "@tensorflow/tfjs";

/** Runs `fn` while recording every `Math.random()` value it draws into `tape`. */
export function recordRandom<T>(tape: number[], fn: () => T): T {
  const native = Math.random;
  Math.random = () => {
    const r = native();
    tape.push(r);
    return r;
  };
  try {
    return fn();
  } finally {
    Math.random = native;
  }
}

/** Runs `fn` with `Math.random()` returning the values of `tape` in order (then fresh ones). */
export function replayRandom<T>(tape: readonly number[], fn: () => T): T {
  const native = Math.random;
  let i = 0;
  Math.random = () => (i < tape.length ? tape[i++] : native());
  try {
    return fn();
  } finally {
    Math.random = native;
  }
}

/** Snapshots made by `preserveOtherVariables`: kept, but owned by the guard, not the closure. */
const guardOwned = new WeakSet<tf.Tensor>();

/** Runs `fn`, appending every tensor it passes to `tf.keep` to `kept`. */
export function collectKept<T>(kept: tf.Tensor[], fn: () => T): T {
  const engine = tf.engine() as unknown as { keep: <K extends tf.Tensor>(t: K) => K };
  const own = Object.prototype.hasOwnProperty.call(engine, "keep");
  const original = engine.keep;
  engine.keep = <K extends tf.Tensor>(t: K): K => {
    if (!guardOwned.has(t)) kept.push(t);
    return original.call(engine, t) as K;
  };
  try {
    return fn();
  } finally {
    if (own) engine.keep = original;
    else delete (engine as { keep?: unknown }).keep;
  }
}

/** Runs `fn`; every tensor it passes to `tf.keep` is disposed when it returns or throws. */
export function disposeKept<T>(fn: () => T): T {
  const kept: tf.Tensor[] = [];
  try {
    return collectKept(kept, fn);
  } finally {
    tf.dispose(kept);
  }
}

/**
 * Runs `fn`; any variable not in `trainable` that `fn` assigns gets its previous value back
 * (bit-exactly: its old buffer is re-assigned) when `fn` returns or throws — with
 * `onlyOnError`, only when it throws.
 */
export function preserveOtherVariables<T>(trainable: ReadonlySet<tf.Variable>, fn: () => T, opts: { onlyOnError?: boolean } = {}): T {
  const proto = tf.Variable.prototype as { assign(this: tf.Variable, value: tf.Tensor): void };
  const assign = proto.assign;
  const saved = new Map<tf.Variable, tf.Tensor>();
  proto.assign = function (this: tf.Variable, value: tf.Tensor): void {
    if (!trainable.has(this) && !saved.has(this)) {
      const before = tf.clone(this);
      guardOwned.add(before);
      saved.set(this, tf.keep(before));
    }
    assign.call(this, value);
  };
  let failed = true;
  try {
    const result = fn();
    failed = false;
    return result;
  } finally {
    proto.assign = assign;
    for (const [v, before] of saved) {
      if (failed || !opts.onlyOnError) v.assign(before);
      before.dispose();
    }
  }
}
