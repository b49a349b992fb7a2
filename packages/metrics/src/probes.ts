/**
 * Hutchinson's estimator: for a random probe v with E[v vᵀ] = I, E[vᵀHv] = tr(H). With Rademacher
 * probes (entries ±1, each with probability ½) the variance of one sample is
 * 2·Σ_{i≠j} H_ij², the smallest of all probe distributions with that property.
 */
import * as tf from "@tensorflow/tfjs";
import { dotNamed, preserveOtherVariables, RandomSource } from "@flatfit/core";

import { objectiveHvp, type HvpChoice } from "./hvp";
import { closureObjective, type Objective } from "./objective";

/** A Rademacher probe shaped like `vars`, keyed by variable name, drawn from `random`. */
export function rademacherProbe(vars: readonly tf.Variable[], random: RandomSource): tf.NamedTensorMap {
  const v: tf.NamedTensorMap = {};
  for (const w of vars) v[w.name] = random.signs(w.shape, 0.5);
  return v;
}

/**
 * vᵀHv at the objective's current weights, as a scalar tensor (no host read). Two gradient
 * evaluations with central differences; one with forward differences given `grads` (∇L at the
 * current weights, shared by all probes of a measurement). The variables are restored bit-exactly.
 */
export function hutchinsonSample(objective: Objective, probe: tf.NamedTensorMap, opts: HvpChoice & { grads?: tf.NamedTensorMap } = {}): tf.Scalar {
  return preserveOtherVariables(new Set(objective.variables), () =>
    tf.tidy(() => dotNamed(probe, objectiveHvp(objective, probe, opts))),
  );
}

/**
 * The two one-sided estimates of vᵀHv at the objective's current weights, as a tensor [a, b]:
 * a = vᵀ(∇L(W + εv) − ∇L(W))/ε and b = vᵀ(∇L(W) − ∇L(W − εv))/ε, both from `grads` = ∇L(W)
 * (two gradient evaluations). Their mean is the central difference; on a smooth loss they agree
 * to O(ε), across a kink they do not (see `sidesAgree`). The variables are restored bit-exactly.
 */
export function twoSidedSample(
  objective: Objective,
  probe: tf.NamedTensorMap,
  opts: { relativeStep?: number; grads: tf.NamedTensorMap },
): tf.Tensor1D {
  const hvp = { method: "forward" as const, relativeStep: opts.relativeStep, grads: opts.grads };
  return preserveOtherVariables(new Set(objective.variables), () =>
    tf.tidy(() => {
      const minus = Object.fromEntries(Object.entries(probe).map(([k, t]) => [k, tf.neg(t)]));
      return tf.stack([dotNamed(probe, objectiveHvp(objective, probe, hvp)), dotNamed(minus, objectiveHvp(objective, minus, hvp))]) as tf.Tensor1D;
    }),
  );
}

/**
 * Whether the forward and backward estimates a, b of one probe's vᵀHv agree: both finite and
 * |a − b| ≤ ½·max(|a|, |b|). On a smooth loss they differ by O(ε); a ReLU unit that switches
 * on one side only adds (jump in the gradient)/ε to that side alone.
 */
export function sidesAgree(a: number, b: number): boolean {
  return Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= 0.5 * Math.max(Math.abs(a), Math.abs(b));
}

export interface ProbeOptions extends HvpChoice {
  /** The probe v, keyed by variable name (default: a Rademacher probe drawn with `seed`). */
  probe?: tf.NamedTensorMap;
  /** Seed of the Rademacher probe when none is given. */
  seed?: number;
}

/** One Hutchinson sample vᵀHv of the loss closure's Hessian over `vars` (an unbiased estimate of tr H). */
export async function hutchinsonProbe(loss: () => tf.Scalar, vars: tf.Variable[], opts: ProbeOptions = {}): Promise<number> {
  const objective = closureObjective(loss, vars);
  const probe = opts.probe ?? rademacherProbe(vars, new RandomSource(opts.seed));
  try {
    const z = hutchinsonSample(objective, probe, opts);
    try {
      return (await z.data())[0];
    } finally {
      z.dispose();
    }
  } finally {
    if (!opts.probe) tf.dispose(Object.values(probe));
  }
}
