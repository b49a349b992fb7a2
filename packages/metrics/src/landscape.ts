/**
 * Loss-landscape slices (Li et al., NeurIPS 2018, "Visualizing the Loss Landscape of Neural
 * Nets"): L(W + α·d₁ + β·d₂) on a grid, with d₁, d₂ random Gaussian directions that are
 * FILTER-NORMALIZED — every filter of d (one output unit / output channel: a slice along the last
 * axis of a tfjs Dense or Conv kernel) is rescaled to the norm of the same filter of W, so that
 * the picture does not depend on the weights' scale. One-dimensional tensors (biases, BatchNorm
 * scale/offset) get a zero direction by default, as in Li et al.'s "biasbn" setting.
 * This is the kind of contour plot HERO's Fig. 3 shows.
 */
import * as tf from "@tensorflow/tfjs";
import { preserveOtherVariables, RandomSource, withOffsets } from "@flatfit/core";

import { closureObjective, type Objective } from "./objective";

export interface DirectionOptions {
  /** What the direction does along 1-D tensors: "zero" (default; Li et al.'s ignore="biasbn") or "weights" (copy W). */
  oneDimensional?: "zero" | "weights";
}

export interface LandscapeOptions extends DirectionOptions {
  /** Grid points per axis (default 21). */
  steps?: number;
  /** The grid spans [−range, range] along each direction (default 1: one filter norm). */
  range?: number;
  /** 1: a line along d₁; 2: a plane spanned by d₁ and d₂ (default 1). */
  dims?: 1 | 2;
  /** Seed of the random directions (default: a random one). */
  seed?: number;
}

export interface LandscapeResult {
  /** Coordinates along d₁. */
  alphas: number[];
  /** Coordinates along d₂ (only for dims = 2). */
  betas?: number[];
  /** values[j][i] = L(W + alphas[i]·d₁ + betas[j]·d₂); for dims = 1 a single row values[0][i]. */
  values: number[][];
}

/** Scales every filter (slice along the last axis) of `d` to the norm of the same filter of `w`. */
export function filterNormalize(d: tf.Tensor, w: tf.Tensor, opts: DirectionOptions = {}): tf.Tensor {
  return tf.tidy(() => {
    if (w.rank <= 1) return opts.oneDimensional === "weights" ? tf.clone(w) : tf.zerosLike(w);
    const channels = w.shape[w.rank - 1];
    const d2 = tf.reshape(d, [-1, channels]);
    const w2 = tf.reshape(w, [-1, channels]);
    const dNorm = tf.norm(d2, "euclidean", 0, true);
    const wNorm = tf.norm(w2, "euclidean", 0, true);
    return tf.reshape(tf.mul(d2, tf.div(wNorm, tf.add(dNorm, 1e-10))), w.shape);
  });
}

/** A random Gaussian direction shaped like `vars`, filter-normalized to them; keyed by variable name. */
export function filterNormalizedDirection(vars: readonly tf.Variable[], random: RandomSource, opts: DirectionOptions = {}): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const w of vars) {
    out[w.name] = tf.tidy(() => filterNormalize(random.normal(w.shape), w, opts));
  }
  return out;
}

function grid(steps: number, range: number): number[] {
  if (steps === 1) return [0];
  return Array.from({ length: steps }, (_, i) => -range + (2 * range * i) / (steps - 1));
}

/** A loss-landscape slice of the objective around its current weights. */
export async function landscapeOf(objective: Objective, opts: LandscapeOptions = {}): Promise<LandscapeResult> {
  const steps = opts.steps ?? 21;
  const range = opts.range ?? 1;
  const dims = opts.dims ?? 1;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`lossLandscape: steps must be a positive integer (got ${opts.steps})`);
  if (!(range > 0)) throw new RangeError(`lossLandscape: range must be > 0 (got ${opts.range})`);
  if (dims !== 1 && dims !== 2) throw new RangeError(`lossLandscape: dims must be 1 or 2 (got ${opts.dims})`);
  const random = new RandomSource(opts.seed);
  const vars = objective.variables;
  const d1 = filterNormalizedDirection(vars, random, opts);
  const d2 = dims === 2 ? filterNormalizedDirection(vars, random, opts) : undefined;
  const alphas = grid(steps, range);
  const betas = dims === 2 ? grid(steps, range) : [0];
  const values: number[][] = [];
  try {
    for (const beta of betas) {
      const row: tf.Scalar[] = [];
      for (const alpha of alphas) {
        row.push(
          preserveOtherVariables(new Set(vars), () =>
            tf.tidy(() => {
              const offsets: tf.NamedTensorMap = {};
              for (const w of vars) {
                let o = tf.mul(d1[w.name], alpha);
                if (d2) o = tf.add(o, tf.mul(d2[w.name], beta));
                offsets[w.name] = o;
              }
              return withOffsets(vars, offsets, () => objective.loss());
            }),
          ),
        );
      }
      try {
        const read = await Promise.all(row.map((s) => s.data()));
        values.push(read.map((a) => a[0]));
      } finally {
        tf.dispose(row);
      }
    }
  } finally {
    tf.dispose([...Object.values(d1), ...Object.values(d2 ?? {})]);
  }
  return dims === 2 ? { alphas, betas, values } : { alphas, values };
}

/** A loss-landscape slice of the loss closure over `vars` along filter-normalized random directions. */
export async function lossLandscape(loss: () => tf.Scalar, vars: tf.Variable[], opts: LandscapeOptions = {}): Promise<LandscapeResult> {
  return landscapeOf(closureObjective(loss, vars), opts);
}
