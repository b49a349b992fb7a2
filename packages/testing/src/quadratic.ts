/**
 * A quadratic L(W) = ½WᵀAW − bᵀW over W = [W1; W2] split into two tfjs variables, with A
 * symmetric positive definite of a chosen spectrum: ∇L = AW − b, H = A everywhere.
 */
import * as tf from "@tensorflow/tfjs";
import { gaussian, prng } from "./prng";
import { matVec, sub, type Mat, type Vec } from "./linalg";

function orthonormal(n: number, rand: () => number): Mat {
  const g = gaussian(rand);
  const q: Mat = [];
  for (let i = 0; i < n; i++) {
    let v = Array.from({ length: n }, () => g());
    for (const u of q) {
      const p = v.reduce((s, x, k) => s + x * u[k], 0);
      v = v.map((x, k) => x - p * u[k]);
    }
    const nv = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    q.push(v.map((x) => x / nv));
  }
  return q;
}

export class QuadraticProblem {
  readonly A: Mat;
  readonly b: Vec;
  readonly w1: tf.Variable;
  readonly w2: tf.Variable;
  private readonly aT: tf.Tensor2D;
  private readonly bT: tf.Tensor2D;
  readonly n: number;

  constructor(
    readonly spectrum: number[] = [4, 2.5, 1.5, 1, 0.5, 0.25],
    readonly split = 2,
    seed = 11,
  ) {
    const n = (this.n = spectrum.length);
    const rand = prng(seed);
    const q = orthonormal(n, rand);
    this.A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => q.reduce((s, u, k) => s + u[i] * spectrum[k] * u[j], 0)));
    const g = gaussian(rand);
    this.b = Array.from({ length: n }, () => g());
    const w0 = Array.from({ length: n }, () => g());
    const tag = Math.floor(rand() * 1e9);
    this.w1 = tf.variable(tf.tensor2d(w0.slice(0, split), [split, 1]), true, `quad_w1_${tag}`);
    this.w2 = tf.variable(tf.tensor2d(w0.slice(split), [n - split, 1]), true, `quad_w2_${tag}`);
    this.aT = tf.tensor2d(this.A);
    this.bT = tf.tensor2d(this.b, [n, 1]);
  }

  get variables(): tf.Variable[] {
    return [this.w1, this.w2];
  }

  loss = (): tf.Scalar =>
    tf.tidy(() => {
      const w = tf.concat([this.w1, this.w2], 0);
      return tf.sub(tf.mul(0.5, tf.sum(tf.mul(w, tf.matMul(this.aT, w)))), tf.sum(tf.mul(this.bT, w))) as tf.Scalar;
    });

  weights(): Vec {
    return [...this.w1.dataSync(), ...this.w2.dataSync()];
  }

  grad(w: Vec = this.weights()): Vec {
    return sub(matVec(this.A, w), this.b);
  }

  /** Splits a full-length vector into the two variables' parts, keyed by variable name. */
  byVariable(v: Vec): Record<string, Vec> {
    return { [this.w1.name]: v.slice(0, this.split), [this.w2.name]: v.slice(this.split) };
  }

  dispose(): void {
    tf.dispose([this.w1, this.w2, this.aT, this.bT]);
  }
}
