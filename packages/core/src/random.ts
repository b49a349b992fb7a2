/**
 * The seeded random source shared by all plugins of one flatfit instance. With `seed` in the
 * config, every draw a plugin makes through it repeats exactly from run to run.
 */
import * as tf from "@tensorflow/tfjs";

/** Splits a 32-bit seed into a stream of uniform numbers (SplitMix32-style mixing + xorshift). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export class RandomSource {
  private state: number;
  readonly seed: number;

  constructor(seed?: number) {
    this.seed = seed ?? Math.floor(Math.random() * 0x7fffffff);
    this.state = mix32(this.seed ^ 0x9e3779b9) || 1;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    // mulberry32 step
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A seed for tfjs random ops: an integer in [1, 2^31). (tfjs treats seed 0 as "unseeded".) */
  nextSeed(): number {
    return 1 + Math.floor(this.next() * 0x7ffffffe);
  }

  /** Gaussian noise of the given shape and standard deviation (mean 0). */
  normal(shape: number[], std = 1): tf.Tensor {
    return tf.randomNormal(shape, 0, std, "float32", this.nextSeed());
  }

  /** Uniform noise on [lo, hi). */
  uniform(shape: number[], lo = 0, hi = 1): tf.Tensor {
    return tf.randomUniform(shape, lo, hi, "float32", this.nextSeed());
  }

  /** Entries +1 / −1, each with probability p, else 0 (p = 0.5 gives Rademacher signs). */
  signs(shape: number[], p = 0.5): tf.Tensor {
    return tf.tidy(() => {
      const u = this.uniform(shape);
      const plus = tf.cast(tf.less(u, p), "float32");
      const minus = tf.cast(tf.greaterEqual(u, 1 - p), "float32");
      return tf.sub(plus, minus);
    });
  }

  /** Laplace noise of the given standard deviation (scale b = std/√2). */
  laplace(shape: number[], std = 1): tf.Tensor {
    return tf.tidy(() => {
      const b = std / Math.SQRT2;
      const u = this.uniform(shape, -0.5 + 1e-7, 0.5);
      return tf.mul(tf.mul(tf.sign(u), tf.log1p(tf.mul(tf.abs(u), -2))), -b);
    });
  }
}
