/** Options of the curvature plugin, validated by core with this schema. */
import { z } from "@flatfit/core";
import { PACGEN_DEFAULTS } from "@flatfit/metrics";

export const curvatureOptions = z.strictObject({
  /** Measure every n-th epoch (epochs n, 2n, 3n, … counted from 1); default 1 = every epoch. */
  every: z.number().int().min(1, '"every" is a number of epochs ≥ 1').default(1),
  /** Which figures: "trace" (Hutchinson), "maxEigenvalue" (power iteration), "pacGen" (PertOPT's PAC-Bayes metric; off by default). */
  measures: z
    .array(z.enum(["trace", "maxEigenvalue", "pacGen"]))
    .min(1, 'list at least one of "trace", "maxEigenvalue", "pacGen"')
    .refine((m) => new Set(m).size === m.length, "a measure is listed twice")
    .default(["trace", "maxEigenvalue"]),
  /** Rademacher probes per trace estimate (≥ 2, so that a standard error exists). */
  samples: z.number().int().min(2, '"samples" must be an integer ≥ 2 (the standard error needs two probes)').default(10),
  /** Maximum power iterations for the largest eigenvalue. */
  iterations: z.number().int().min(1).default(20),
  /** Power iteration stops when λ changes by less than this, relative to |λ|. */
  tolerance: z.number().min(0).default(1e-3),
  /** Samples per forward/backward pass; gradients are accumulated over the batches. */
  batchSize: z.number().int().min(1).default(256),
  /** Measure on the first `maxSamples` validation samples (default 1024). */
  maxSamples: z.number().int().min(1).default(1024),
  /** Finite-difference scheme of the Hessian-vector products (default: forward for the trace, central for λmax). */
  hvp: z.enum(["central", "forward"]).optional(),
  /**
   * Trace on ReLU networks: measure each probe from both sides and redraw those whose sides
   * disagree (the step crossed an activation kink); logs how many as `<prefix>trace_rejected`.
   * Two gradient evaluations per probe instead of one; the trace then ignores `hvp`.
   */
  rejectKinks: z.boolean().default(false),
  /** Finite-difference step relative to the weight norm: ε = relativeStep·max(‖W‖, 1)/‖v‖. */
  relativeStep: z.number().gt(0).max(0.1).default(1e-3),
  /** Fix the probes: the same random vectors at every measurement (default: fresh ones, from the instance seed). */
  seed: z.number().int().min(0).optional(),
  /**
   * pacGen's settings (used when `measures` lists "pacGen"), the paper's values by default. Its h is
   * Adam's second moment of the training steps' final gradients (β, bias-corrected), kept by this
   * plugin from the first step on; ρ is estimated on the measured data.
   */
  pacGen: z
    .strictObject({
      /** γ in the radius κ = γ|w| + ε. */
      gamma: z.number().min(0).default(PACGEN_DEFAULTS.gamma),
      /** ε in the radius κ = γ|w| + ε. */
      epsilon: z.number().gt(0).default(PACGEN_DEFAULTS.epsilon),
      /** Decay of the smoothed squared gradients h. */
      beta: z.number().min(0).lt(1).default(PACGEN_DEFAULTS.beta),
      /** Rademacher probes of the Hessian diagonal in the ρ estimate (4 gradient evaluations each). */
      probes: z.number().int().min(1).default(1),
      /** How the perturbation u of the ρ estimate is drawn: ±κ ("sign") or U(−κ, κ) ("uniform"). */
      perturbation: z.enum(["sign", "uniform"]).default("sign"),
      /** Epoch-log key of Ψ; ρ goes to `<key>_rho`. */
      key: z.string().regex(/^[A-Za-z0-9_.@-]+$/, "use letters, digits, '_', '-', '.', '@'").default("pacgen"),
    })
    .prefault({}),
  /** Prefix of the epoch-log keys (default "hessian_": hessian_trace, hessian_trace_se, hessian_max_eig). */
  prefix: z.string().regex(/^[A-Za-z0-9_.@-]*$/, "use letters, digits, '_', '-', '.', '@'").default("hessian_"),
});

export type CurvatureOptions = z.output<typeof curvatureOptions>;
