/**
 * pacGen — the PAC-Bayes generalization metric of "Identifying Generalization Properties in Neural
 * Networks" (Wang, Keskar, Xiong, Socher; Section 7). Smaller means better generalization:
 *
 *   Ψ(L̂, w) = Σ_i log( (|w_i| + κ_i) · max( √(∇²_ii L̂(w) + ρ·√m·κ_i), 1/κ_i ) )
 *
 * i.e. Σ_i log(τ_i/σ*_i), the one term of the bound (Lemma 3) that varies for fixed m and n, with
 * τ_i ≈ |w_i| + κ_i and the optimal level σ*_i ∝ min(1/√(∇²_ii L̂ + ρ√m κ_i), κ_i) (Eq. 12 without
 * its constants) — the log takes the whole product, so every term is ≥ log(1 + |w_i|/κ_i) ≥ 0 and
 * grows with the curvature. (Read as log(|w_i| + κ_i) times the max, as the text extraction can
 * suggest, the terms are negative wherever |w_i| + κ_i < 1 and sharper minima would score lower.)
 *
 *   κ_i = γ·|w_i| + ε                  the neighbourhood radius (paper: γ = 0.1, ε = 0.1)
 *   m                                  the number of parameters
 *   ∇²_ii L̂ ≈ h_i                      Adam's second-moment estimate: the exponentially smoothed
 *                                      squared gradients, β = 0.999 (bias-corrected as Adam does)
 *   ρ ≈ max_i |∇²_ii L(w + u) − ∇²_ii L(w)| / |u_i|    the Hessian's Lipschitz constant, from one
 *                                      randomly perturbed model w + u
 *
 * A negative √ argument counts as 0 (the paper's footnote 5). The paper does not say how it
 * estimates the Hessian diagonal at w and at w + u for ρ, nor how u is drawn; here the diagonal is
 * Hutchinson's z ⊙ (H z) with one Rademacher z shared by both points (so the difference is not
 * swamped by the probe's own noise) and H z a central difference of gradients; u_i = ±κ_i with
 * random signs (a point on the boundary of the neighbourhood the bound assumes, and no division by
 * a near-zero |u_i|). Both are exact on a separable cubic loss: ρ is then max_i |c_i| for
 * L = Σ c_i w_i³/6 + (quadratic), and 0 on a quadratic.
 */
import * as tf from "@tensorflow/tfjs";
import { preserveOtherVariables, RandomSource, secondMomentUpdate, withOffsets } from "@flatfit/core";
import { objectiveHvp } from "./hvp";
import { closureObjective, type Objective } from "./objective";
import { modelObjective, type ModelDataOptions } from "./model";
import { rademacherProbe } from "./probes";

/** The paper's values (Section 7). */
export const PACGEN_DEFAULTS = { gamma: 0.1, epsilon: 0.1, beta: 0.999 } as const;

export interface PacGenOptions {
  /** γ: the radius grows with |w|: κ = γ|w| + ε (default 0.1, the paper's). */
  gamma?: number;
  /** ε: the radius' floor, > 0 (default 0.1, the paper's). */
  epsilon?: number;
  /**
   * h ≈ ∇²_ii L̂: one tensor per variable, in the order of `vars` (e.g. `SecondMomentEstimate.value()`
   * over the training steps, as the paper does). Default: the squared gradient of the loss at w
   * (what a bias-corrected EMA of one repeated gradient gives; one gradient evaluation).
   */
  secondMoment?: readonly tf.Tensor[];
  /** ρ, when known: skips its estimate (and its gradient evaluations). ≥ 0. */
  rho?: number;
  /** Rademacher probes averaged into the Hessian diagonal of the ρ estimate (default 1; 4 gradient evaluations each). */
  probes?: number;
  /** How u is drawn: "sign" u_i = ±κ_i (default), "uniform" u_i ~ U(−κ_i, κ_i). */
  perturbation?: "sign" | "uniform";
  /** Finite-difference step of the Hessian-vector products, relative to the weight norm (default 1e-3). */
  relativeStep?: number;
  /** Seed of u and of the probes (default: a random one). */
  seed?: number;
}

export interface PacGenResult {
  /** Ψ(L̂, w). */
  value: number;
  /** ρ used: the estimate, or `opts.rho`. */
  rho: number;
  /** Number of parameters m. */
  parameters: number;
  /** Gradient evaluations spent. */
  gradientEvaluations: number;
}

function check(opts: PacGenOptions): Required<Pick<PacGenOptions, "gamma" | "epsilon" | "probes" | "perturbation" | "relativeStep">> {
  const gamma = opts.gamma ?? PACGEN_DEFAULTS.gamma;
  const epsilon = opts.epsilon ?? PACGEN_DEFAULTS.epsilon;
  const probes = opts.probes ?? 1;
  const perturbation = opts.perturbation ?? "sign";
  const relativeStep = opts.relativeStep ?? 1e-3;
  if (!(Number.isFinite(gamma) && gamma >= 0)) throw new RangeError(`pacGen: gamma must be a finite number ≥ 0 (got ${opts.gamma})`);
  if (!(Number.isFinite(epsilon) && epsilon > 0)) throw new RangeError(`pacGen: epsilon must be a finite number > 0 (got ${opts.epsilon})`);
  if (!Number.isInteger(probes) || probes < 1) throw new RangeError(`pacGen: probes must be a positive integer (got ${opts.probes})`);
  if (perturbation !== "sign" && perturbation !== "uniform") throw new RangeError(`pacGen: perturbation must be "sign" or "uniform" (got ${String(opts.perturbation)})`);
  if (!(Number.isFinite(relativeStep) && relativeStep > 0)) throw new RangeError(`pacGen: relativeStep must be a finite number > 0 (got ${opts.relativeStep})`);
  if (opts.rho !== undefined && !(Number.isFinite(opts.rho) && opts.rho >= 0)) throw new RangeError(`pacGen: rho must be a finite number ≥ 0 (got ${opts.rho})`);
  return { gamma, epsilon, probes, perturbation, relativeStep };
}

function checkSecondMoment(h: readonly tf.Tensor[], vars: readonly tf.Variable[]): void {
  if (h.length !== vars.length) throw new RangeError(`pacGen: secondMoment has ${h.length} tensors for ${vars.length} variables`);
  h.forEach((x, j) => {
    if (!tf.util.arraysEqual(x.shape, vars[j].shape)) {
      throw new RangeError(`pacGen: secondMoment[${j}] has shape [${x.shape.join(",")}], variable "${vars[j].name}" has [${vars[j].shape.join(",")}]`);
    }
  });
}

/** κ = γ|w| + ε. */
export function pacGenRadius(w: tf.Tensor, gamma: number = PACGEN_DEFAULTS.gamma, epsilon: number = PACGEN_DEFAULTS.epsilon): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(tf.abs(w), gamma), epsilon));
}

/**
 * Ψ as a scalar tensor from its ingredients: the weights, h ≈ ∇²_ii L̂ (one tensor per weight
 * tensor), ρ, and m (default: the weights' total size). No host reads.
 */
export function pacGenValue(
  weights: readonly tf.Tensor[],
  secondMoment: readonly tf.Tensor[],
  rho: number | tf.Scalar,
  opts: { gamma?: number; epsilon?: number; parameters?: number } = {},
): tf.Scalar {
  const { gamma, epsilon } = check({ gamma: opts.gamma, epsilon: opts.epsilon });
  if (secondMoment.length !== weights.length) throw new RangeError(`pacGen: secondMoment has ${secondMoment.length} tensors for ${weights.length} weights`);
  const m = opts.parameters ?? weights.reduce((s, w) => s + w.size, 0);
  return tf.tidy(() => {
    const rhoSqrtM = tf.mul(rho, Math.sqrt(m));
    const parts = weights.map((w, j) => {
      const kappa = pacGenRadius(w, gamma, epsilon);
      const curvature = tf.relu(tf.add(secondMoment[j], tf.mul(rhoSqrtM, kappa))); // < 0 counts as 0 (footnote 5)
      const scale = tf.maximum(tf.sqrt(curvature), tf.reciprocal(kappa));
      return tf.sum(tf.log(tf.mul(tf.add(tf.abs(w), kappa), scale))); // log(τ/σ*), τ = |w| + κ, 1/σ* = scale
    });
    return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Scalar;
  });
}

/**
 * Adam's second-moment estimate of a set of variables' gradients: h ← β·h + (1 − β)·g² per
 * update, read bias-corrected, h / (1 − βᵗ), as Adam uses it. Tensors are kept until `dispose()`.
 */
export class SecondMomentEstimate {
  private h?: tf.Tensor[];
  private t = 0;

  constructor(readonly beta: number = PACGEN_DEFAULTS.beta) {
    if (!(Number.isFinite(beta) && beta >= 0 && beta < 1)) throw new RangeError(`SecondMomentEstimate: beta must be in [0, 1) (got ${beta})`);
  }

  /** Updates done. */
  get steps(): number {
    return this.t;
  }

  /** One step's gradients, one per variable, always in the same order and shapes. No host reads. */
  update(grads: readonly tf.Tensor[]): void {
    const prev = this.h;
    if (prev && (prev.length !== grads.length || prev.some((h, j) => !tf.util.arraysEqual(h.shape, grads[j].shape)))) {
      throw new RangeError(`SecondMomentEstimate: got ${grads.length} gradients shaped unlike the ${prev.length} tensors it tracks`);
    }
    this.h = grads.map((g, j) => tf.keep(tf.tidy(() => secondMomentUpdate(prev ? prev[j] : tf.zerosLike(g), g, this.beta))));
    if (prev) tf.dispose(prev);
    this.t++;
  }

  /** h / (1 − βᵗ) (or h itself with `biasCorrected: false`): new tensors, the caller's to dispose. */
  value(opts: { biasCorrected?: boolean } = {}): tf.Tensor[] {
    if (!this.h) throw new Error("SecondMomentEstimate: no gradients yet (call update first)");
    const scale = opts.biasCorrected === false ? 1 : 1 / (1 - this.beta ** this.t);
    return this.h.map((h) => tf.mul(h, scale));
  }

  dispose(): void {
    if (this.h) tf.dispose(this.h);
    this.h = undefined;
    this.t = 0;
  }
}

/**
 * ρ ≈ max_i |D_i(w + u) − D_i(w)| / |u_i| as a scalar tensor, D the Hutchinson Hessian diagonal
 * (mean over `probes` Rademacher z of z ⊙ H z, central differences), u_i = ±κ_i or U(−κ_i, κ_i).
 * 4·probes gradient evaluations; no host reads; the variables come back bit-exactly.
 */
export function estimateHessianLipschitz(
  objective: Objective,
  opts: { gamma: number; epsilon: number; probes: number; perturbation: "sign" | "uniform"; relativeStep: number; random: RandomSource },
): tf.Scalar {
  const vars = objective.variables;
  return preserveOtherVariables(new Set(vars), () =>
    tf.tidy(() => {
      const u: tf.NamedTensorMap = {};
      for (const w of vars) {
        const kappa = pacGenRadius(w, opts.gamma, opts.epsilon);
        const draw = opts.perturbation === "sign" ? opts.random.signs(w.shape, 0.5) : opts.random.uniform(w.shape, -1, 1);
        u[w.name] = tf.mul(kappa, draw);
      }
      const probes = Array.from({ length: opts.probes }, () => rademacherProbe(vars, opts.random));
      const diagonal = (): tf.NamedTensorMap => {
        const sum: tf.NamedTensorMap = {};
        for (const z of probes) {
          const hz = objectiveHvp(objective, z, { method: "central", relativeStep: opts.relativeStep });
          for (const w of vars) {
            const d = tf.mul(z[w.name], hz[w.name]);
            sum[w.name] = sum[w.name] ? tf.add(sum[w.name], d) : d;
          }
        }
        return sum;
      };
      const at = diagonal();
      const moved = withOffsets(vars, u, diagonal);
      const ratios = vars.map((w) => tf.max(tf.divNoNan(tf.abs(tf.sub(moved[w.name], at[w.name])), tf.mul(tf.abs(u[w.name]), opts.probes))));
      return tf.max(tf.stack(ratios)) as tf.Scalar;
    }),
  );
}

/** Ψ of an objective (see `pacGen`). */
export async function pacGenOf(objective: Objective, opts: PacGenOptions = {}): Promise<PacGenResult> {
  const o = check(opts);
  const vars = objective.variables;
  if (opts.secondMoment) checkSecondMoment(opts.secondMoment, vars);
  const random = new RandomSource(opts.seed);
  const parameters = vars.reduce((s, w) => s + w.size, 0);
  let gradientEvaluations = 0;
  const out = preserveOtherVariables(new Set(vars), () =>
    tf.tidy(() => {
      let h = opts.secondMoment;
      if (!h) {
        const { loss, grads } = objective.oracle();
        gradientEvaluations++;
        h = vars.map((w) => {
          const g = grads[w.name];
          if (g === undefined) throw new Error(`pacGen: the loss has no gradient for "${w.name}"`);
          return tf.square(g);
        });
        loss.dispose();
      }
      let rho: tf.Scalar;
      if (opts.rho !== undefined) rho = tf.scalar(opts.rho);
      else {
        rho = estimateHessianLipschitz(objective, { ...o, random });
        gradientEvaluations += 4 * o.probes;
      }
      return tf.stack([pacGenValue(vars, h, rho, { gamma: o.gamma, epsilon: o.epsilon, parameters }), rho]);
    }),
  );
  let values: Float32Array | Int32Array | Uint8Array;
  try {
    values = await out.data();
  } finally {
    out.dispose();
  }
  return { value: values[0], rho: values[1], parameters, gradientEvaluations };
}

/**
 * pacGen (Ψ) of the loss closure over `vars`: Σ_i log((|w_i| + κ_i)·max(√(h_i + ρ√m·κ_i), 1/κ_i)),
 * κ = γ|w| + ε. Costs 1 gradient evaluation for h (none with `secondMoment`) plus 4 per probe for
 * ρ (none with `rho`); one host read, at the end. The weights come back bit-identical.
 */
export async function pacGen(loss: () => tf.Scalar, vars: tf.Variable[], opts: PacGenOptions = {}): Promise<PacGenResult> {
  return pacGenOf(closureObjective(loss, vars), opts);
}

/** pacGen of the model's compiled loss on (x, y) (inference mode, gradients over batches); see `pacGen`. */
export async function modelPacGen(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor | tf.Tensor[],
  opts: PacGenOptions & ModelDataOptions = {},
): Promise<PacGenResult> {
  return pacGenOf(modelObjective(model, x, y, opts), opts);
}
