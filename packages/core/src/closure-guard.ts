/**
 * Makes repeated evaluations of one training closure behave like one.
 *
 * `model.fit`'s closure has three side effects per call: it keeps one tensor per metric, it
 * draws random numbers (Dropout masks, seeded from `Math.random`), and in training mode it
 * writes non-trainable variables (BatchNorm moving statistics). The first call of a step is
 * the clean one that `fit` reports from; every later call of the same step:
 *   - replays the random draws of the first call (same Dropout masks: finite differences of
 *     gradients are only meaningful on the same sub-network),
 *   - hands the scalars the closure keeps (fit's and trainOnBatch's metric values) to a
 *     `KeptScalars` list that frees them after the step's caller has read them,
 *   - puts back every variable outside the step's trainable set that the call wrote,
 *   - checks that it uploads the same data as the first call (a closure that draws its batch
 *     inside itself would otherwise give every evaluation of a step a different batch).
 *
 * Everything here intercepts the tfjs *engine* (one object per process, shared by every copy of
 * tfjs-core an app bundles), never a class prototype, so variables made by any copy are covered.
 */
import * as tf from "@tensorflow/tfjs";

interface EngineInternals {
  keep<K extends tf.Tensor>(t: K): K;
  disposeTensor(t: tf.Tensor): void;
  makeTensor(values: unknown, shape: number[], dtype?: string, backend?: unknown): tf.Tensor;
  makeTensorFromDataId(dataId: object, shape: number[], dtype: string, backend?: unknown): tf.Tensor;
  state: { registeredVariables: Record<string, tf.Variable>; tensorInfo: Map<object, { backend: { incRef(dataId: object): void } }> };
}

const engine = (): EngineInternals => tf.engine() as unknown as EngineInternals;

/** Replaces `engine[method]` while `fn` runs (the engine's own method, or its prototype's, comes back after). */
function patchEngine<M extends "keep" | "disposeTensor" | "makeTensor", T>(method: M, replacement: (original: EngineInternals[M]) => EngineInternals[M], fn: () => T): T {
  const e = engine();
  const own = Object.prototype.hasOwnProperty.call(e, method);
  const original = e[method];
  e[method] = replacement(original.bind(e) as EngineInternals[M]);
  try {
    return fn();
  } finally {
    if (own) e[method] = original;
    else delete (e as unknown as Record<string, unknown>)[method];
  }
}

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
  return patchEngine(
    "keep",
    (keep) =>
      <K extends tf.Tensor>(t: K): K => {
        if (!guardOwned.has(t)) kept.push(t);
        return keep(t) as K;
      },
    fn,
  );
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
 * The scalars that repeated closure calls keep. `model.fit` and `trainOnBatch` collect the metric
 * values of EVERY call of a step in one array: fit reads only the first call's, trainOnBatch reads
 * them all (and disposes them) after the step. So they cannot be freed at the end of the step;
 * they are freed at the start of the next step, or by `flush()` (end of a fit).
 */
export class KeptScalars {
  private pending: tf.Tensor[] = [];

  /**
   * Runs one repeated closure call. Scalars it keeps (metric values) are freed later; anything else
   * it keeps belongs to a layer (an RNN's dropout masks, which the layer frees itself) and is left alone.
   */
  run<T>(fn: () => T): T {
    const kept: tf.Tensor[] = [];
    try {
      return collectKept(kept, fn);
    } finally {
      for (const t of kept) if (t.rank === 0) this.pending.push(t);
    }
  }

  /** Frees what earlier steps kept (already-disposed tensors are skipped). */
  flush(): void {
    const p = this.pending;
    this.pending = [];
    for (const t of p) if (!t.isDisposed) t.dispose();
  }
}

function isVariable(t: tf.Tensor): t is tf.Variable {
  const name = (t as Partial<tf.Variable>).name;
  return typeof name === "string" && engine().state.registeredVariables[name] === t;
}

/**
 * Runs `fn`; any variable not in `keepWritten` that `fn` assigns gets its previous value back
 * (bit-exactly: its old buffer is re-assigned) when `fn` returns or throws — with
 * `onlyOnError`, only when it throws. Works for variables of every tfjs-core copy: it watches the
 * engine, where `Variable.assign` releases the old value.
 */
export function preserveOtherVariables<T>(keepWritten: ReadonlySet<tf.Variable>, fn: () => T, opts: { onlyOnError?: boolean } = {}): T {
  const saved = new Map<tf.Variable, tf.Tensor>();
  let failed = true;
  try {
    const result = patchEngine(
      "disposeTensor",
      (dispose) => (t: tf.Tensor) => {
        if (!saved.has(t as tf.Variable) && !keepWritten.has(t as tf.Variable) && isVariable(t)) {
          // The variable still holds its old buffer: wrap it in a tensor of its own (no copy; one more reference).
          const before = engine().makeTensorFromDataId(t.dataId, t.shape, t.dtype);
          engine().state.tensorInfo.get(t.dataId)?.backend.incRef(t.dataId);
          guardOwned.add(before);
          saved.set(t, tf.keep(before));
        }
        dispose(t);
      },
      fn,
    );
    failed = false;
    return result;
  } finally {
    for (const [v, before] of saved) {
      if ((failed || !opts.onlyOnError) && !v.isDisposed) v.assign(before);
      before.dispose();
    }
  }
}

/**
 * The loss closure breaks the closure rule: it draws data inside itself, so the evaluations of one
 * step would see different batches. The closure is the caller's, so this error is raised as it is,
 * never wrapped as an error of the plugin whose evaluation caught it.
 */
export class FlatfitClosureError extends Error {
  constructor(detail: string) {
    super(
      `${detail} Your closure breaks the closure rule (README, "Use it in your own script" → "The closure rule"); ` +
        `it is the closure to change, not the plugins.`,
    );
    this.name = "FlatfitClosureError";
  }
}

/** A short fingerprint of the values one host→device upload carries. */
function fingerprint(values: unknown): string {
  let h = 0x811c9dc5;
  if (ArrayBuffer.isView(values)) {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  } else if (Array.isArray(values)) {
    h = Math.imul(h ^ values.length, 0x01000193);
  }
  return (h >>> 0).toString(16);
}

const kindOf = (shape: number[], dtype: string | undefined) => `${dtype ?? "float32"}[${shape}]`;

/** Data worth comparing: more than one value, and not all the same (`ones`, `fill`: constants of the backward pass). */
function isData(values: unknown, shape: number[]): boolean {
  if (shape.length === 0 || !ArrayBuffer.isView(values)) return false;
  const v = values as unknown as ArrayLike<number>;
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return true;
  return false;
}

/**
 * Records what the first closure call of a step uploads to the device (non-scalar uploads, by
 * dtype and shape), so that later calls can be checked to upload the same: Dropout masks are
 * replayed, so a well-formed closure does; one that draws its batch inside itself does not.
 * Constants (scalars, which tfjs caches, and all-equal fills of the backward pass) and uploads of
 * a kind the first call did not make are not compared.
 */
export class UploadLog {
  private readonly first = new Map<string, Set<string>>();

  record<T>(fn: () => T): T {
    return patchEngine(
      "makeTensor",
      (make) => (values, shape, dtype, backend) => {
        if (isData(values, shape)) {
          const kind = kindOf(shape, dtype);
          if (!this.first.has(kind)) this.first.set(kind, new Set());
          this.first.get(kind)!.add(fingerprint(values));
        }
        return make(values, shape, dtype, backend);
      },
      fn,
    );
  }

  /** Runs a repeated call; throws if it uploads data the first call did not. */
  check<T>(fn: () => T): T {
    return patchEngine(
      "makeTensor",
      (make) => (values, shape, dtype, backend) => {
        const seen = isData(values, shape) ? this.first.get(kindOf(shape, dtype)) : undefined;
        if (seen !== undefined && !seen.has(fingerprint(values))) {
          throw new FlatfitClosureError(
            `flatfit: the loss closure uploaded different ${kindOf(shape, dtype)} data on a repeated evaluation within one ` +
              `step. Plugins evaluate the closure several times per step, on the same batch: draw the batch BEFORE ` +
              `optimizer.minimize / ff.step, and let the closure only compute the loss.`,
          );
        }
        return make(values, shape, dtype, backend);
      },
      fn,
    );
  }
}
