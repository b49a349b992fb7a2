/**
 * Binary logistic regression with everything known analytically (float64, independent of tfjs):
 *   L(w) = −(1/n) Σ [y log p + (1−y) log(1−p)],  p_i = σ(x_i·w)
 *   ∇L = Xᵀ(p − y)/n,  H = Xᵀ diag(p(1−p)) X / n,
 *   tr H = (1/n) Σ p(1−p)‖x_i‖²,  ∇ tr H = (1/n) Σ p(1−p)(1−2p)‖x_i‖² x_i.
 */
import * as tf from "@tensorflow/tfjs";
import { gaussian, prng } from "./prng";
import { dot, type Mat, type Vec } from "./linalg";

export class LogisticProblem {
  readonly X: Mat;
  readonly y: Vec;
  readonly xT: tf.Tensor2D;
  readonly yT: tf.Tensor2D;
  readonly w: tf.Variable;

  constructor(
    readonly n = 64,
    readonly d = 5,
    seed = 7,
    weightScale = 0.8,
  ) {
    const rand = prng(seed);
    const g = gaussian(rand);
    this.X = Array.from({ length: n }, () => Array.from({ length: d }, () => g()));
    const wTrue = Array.from({ length: d }, () => g());
    this.y = this.X.map((x) => (rand() < 1 / (1 + Math.exp(-dot(x, wTrue))) ? 1 : 0));
    const w0 = Array.from({ length: d }, () => weightScale * g());
    this.xT = tf.tensor2d(this.X);
    this.yT = tf.tensor2d(this.y, [n, 1]);
    this.w = tf.variable(tf.tensor2d(w0, [d, 1]), true, `logistic_w_${seed}_${Math.floor(rand() * 1e9)}`);
  }

  /** The loss as a tfjs closure (what a training step differentiates). */
  loss = (): tf.Scalar =>
    tf.tidy(() => tf.losses.sigmoidCrossEntropy(this.yT, tf.matMul(this.xT, this.w)) as tf.Scalar);

  /** The oracle shape flatfit uses: loss and gradients at the current weights. */
  oracle = (): { loss: tf.Scalar; grads: tf.NamedTensorMap } => {
    const { value, grads } = tf.variableGrads(this.loss, [this.w]);
    return { loss: value, grads };
  };

  weights(): Vec {
    return Array.from(this.w.dataSync());
  }

  probs(w: Vec = this.weights()): Vec {
    return this.X.map((x) => 1 / (1 + Math.exp(-dot(x, w))));
  }

  grad(w: Vec = this.weights()): Vec {
    const p = this.probs(w);
    const g = new Array(this.d).fill(0);
    this.X.forEach((x, i) => x.forEach((xj, j) => (g[j] += ((p[i] - this.y[i]) * xj) / this.n)));
    return g;
  }

  hessian(w: Vec = this.weights()): Mat {
    const p = this.probs(w);
    const h = Array.from({ length: this.d }, () => new Array(this.d).fill(0));
    this.X.forEach((x, i) => {
      const s = (p[i] * (1 - p[i])) / this.n;
      for (let a = 0; a < this.d; a++) for (let b = 0; b < this.d; b++) h[a][b] += s * x[a] * x[b];
    });
    return h;
  }

  hvp(v: Vec, w: Vec = this.weights()): Vec {
    return this.hessian(w).map((row) => dot(row, v));
  }

  trace(w: Vec = this.weights()): number {
    const p = this.probs(w);
    return this.X.reduce((s, x, i) => s + (p[i] * (1 - p[i]) * dot(x, x)) / this.n, 0);
  }

  gradTrace(w: Vec = this.weights()): Vec {
    const p = this.probs(w);
    const out = new Array(this.d).fill(0);
    this.X.forEach((x, i) => {
      const c = (p[i] * (1 - p[i]) * (1 - 2 * p[i]) * dot(x, x)) / this.n;
      x.forEach((xj, j) => (out[j] += c * xj));
    });
    return out;
  }

  dispose(): void {
    tf.dispose([this.xT, this.yT, this.w]);
  }
}
