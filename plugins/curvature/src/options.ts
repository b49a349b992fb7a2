/** Options of the curvature plugin, validated by core with this schema. */
import { z } from "@flatfit/core";

export const curvatureOptions = z.strictObject({
  /** Measure every n-th epoch (epochs n, 2n, 3n, … counted from 1); default 1 = every epoch. */
  every: z.number().int().min(1, '"every" is a number of epochs ≥ 1').default(1),
  /** Which figures: "trace" (Hutchinson) and/or "maxEigenvalue" (power iteration). */
  measures: z
    .array(z.enum(["trace", "maxEigenvalue"]))
    .min(1, 'list at least one of "trace", "maxEigenvalue"')
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
  /** Prefix of the epoch-log keys (default "hessian_": hessian_trace, hessian_trace_se, hessian_max_eig). */
  prefix: z.string().regex(/^[A-Za-z0-9_.@-]*$/, "use letters, digits, '_', '-', '.', '@'").default("hessian_"),
});

export type CurvatureOptions = z.output<typeof curvatureOptions>;
