/**
 * Every ordered pair [A, B] of the built-in gradient plugins (issue #11): A wraps the base
 * oracle, B wraps A. Checked on logistic regression (not quadratic: the Hessian changes with W,
 * so a finite difference taken across two different draws of the noise is wrong by far more than
 * rounding) against a float64 reference interpreter of the composed math (compose-reference.ts).
 *
 * Each test runs two steps (pertopt perturbs from its second step on) and records the weights at
 * every closure evaluation of the second. The reference replays the step: it predicts every
 * evaluation point, reads each method's draw (nso's U, pertopt's u, seht's σ) from the tape the
 * first time that method needs it and reuses it afterwards — so a plugin that drew again on a
 * later call of its oracle (breaking common random numbers) shows up as a point that is not
 * where the reference predicts — and computes the composed gradient from the analytic gradients
 * at the recorded points. flatfit's final gradient (from captureStep) must match it.
 *
 * Also checked per pair: the number of closure evaluations; the clean forward pass first when the
 * chain's first evaluation is perturbed; the draws read back are plausible (seht's offsets in
 * {−ε, 0, +ε} with ε from its formula, nso's ± pairs symmetric about the point, pertopt's
 * |u_i| ≤ κ_i); two instances of one method draw independently; and each method's share of the
 * result stands well above the tolerance (a result without it would fail). The pairs with
 * grad-l1 or hero run again with hvp.method "central".
 *
 * What the points cannot show: [pertopt, pertopt] evaluates once, at W + u₁ + u₂, so only the sum
 * of the two draws is seen.
 *
 * The parameters, the plugin specs and the per-pair check are in compose-check.ts (shared with
 * compose-matrix-sam.test.ts, the pairs with a SAM-family method).
 */
import { declarePairs } from "./compose-check";
import { SEED_METHODS, type Method } from "./compose-reference";

/**
 * Relative error allowed per pair, ‖flatfit − reference‖/‖reference‖: about five times the
 * largest error measured on "cpu" and "cpu-unfused" (the measured value is logged). Pairs whose
 * evaluations are all plain gradients sit near float32's 1e-7; a finite difference adds its
 * rounding over ε (grad-l1, hero: ~1e-5–1e-4 at relativeStep 1e-3), seht's second difference over
 * ε² (~1e-4 of the result at λ = 0.1). The shares (each method's part of the result, from the
 * reference with that method left out) all stand at least SHARE_OVER_TOLERANCE tolerances high.
 */
const TOLERANCE: Record<string, number> = {
  // measured on cpu / cpu-unfused (largest of the two), with each method's share of the result
  "nso,nso": 2e-7, //          1.8e-8; shares 3.3e-2, 2.0e-2
  "nso,seht": 2e-3, //         2.3e-4; shares 1.9e-2, 5.1e-2
  "nso,grad-l1": 2e-4, //      2.8e-5; shares 5.1e-2, 1.2e-1
  "nso,pertopt": 5e-7, //      8.6e-8; shares 5.9e-2, 2.6e-1
  "nso,hero": 2e-6, //         3.4e-7; shares 8.5e-2, 2.3e-2
  "seht,nso": 3e-4, //         6.0e-5; shares 6.7e-2, 2.4e-2
  "seht,seht": 2e-5, //        2.3e-6; shares 2.8e-4, 2.7e-4 (λ = 3e-4: see paramsFor)
  "seht,grad-l1": 3e-4, //     5.5e-5; shares 1.0e-2, 7.9e-2
  "seht,pertopt": 5e-4, //     8.5e-5; shares 7.9e-2, 4.3e-1
  "seht,hero": 1e-4, //        1.7e-5; shares 2.5e-3, 3.2e-2
  "grad-l1,nso": 5e-5, //      7.0e-6; shares 1.5e-1, 2.9e-1
  "grad-l1,seht": 1e-4, //     1.6e-5; shares 6.0e-2, 3.5e-3
  "grad-l1,grad-l1": 2e-5, //  2.1e-6; shares 9.6e-2, 9.6e-2
  "grad-l1,pertopt": 1e-4, //  1.4e-5; shares 2.8e-1, 1.2e-1
  "grad-l1,hero": 2e-6, //     2.3e-7; shares 2.0e-1, 1.1e-2
  "pertopt,nso": 2e-7, //      3.4e-8; shares 1.8e-1, 1.3e-2
  "pertopt,seht": 5e-4, //     8.9e-5; shares 2.3e-1, 8.7e-2
  "pertopt,grad-l1": 2e-4, //  3.9e-5; shares 4.2e-1, 4.4e-1
  "pertopt,pertopt": 2e-7, //  3.1e-8; one evaluation: the two draws are seen only as their sum
  "pertopt,hero": 5e-6, //     9.1e-7; shares 1.1e-1, 8.5e-2
  "hero,nso": 3e-6, //         5.1e-7; shares 3.3e-2, 1.1e-2
  "hero,seht": 5e-5, //        8.8e-6; shares 4.4e-2, 7.0e-3
  "hero,grad-l1": 2e-6, //     2.1e-7; shares 2.7e-2, 6.1e-2
  "hero,pertopt": 3e-6, //     4.0e-7; shares 3.6e-2, 1.6e-1
  "hero,hero": 5e-7, //        7.3e-8; shares 3.5e-2, 3.5e-2
};

/** The same for the pairs with hvp.method "central" (measured likewise). */
const TOLERANCE_CENTRAL: Record<string, number> = {
  "nso,grad-l1": 1e-4, //      1.8e-5; shares 4.2e-2, 2.4e-1
  "nso,hero": 5e-6, //         6.9e-7; shares 3.1e-2, 4.5e-2
  "seht,grad-l1": 5e-4, //     8.9e-5; shares 7.4e-3, 8.0e-2
  "seht,hero": 2e-5, //        3.1e-6; shares 2.4e-3, 2.8e-2
  "grad-l1,nso": 3e-5, //      5.6e-6; shares 1.2e-1, 8.9e-2
  "grad-l1,seht": 2e-4, //     3.8e-5; shares 1.1e-1, 7.9e-3
  "grad-l1,grad-l1": 1e-6, //  1.0e-7; shares 2.3e-1, 2.3e-1
  "grad-l1,pertopt": 5e-5, //  9.1e-6; shares 2.0e-1, 7.3e-2
  "grad-l1,hero": 1e-6, //     1.1e-7; shares 1.7e-1, 3.1e-2
  "pertopt,grad-l1": 1e-4, //  1.7e-5; shares 1.2e-1, 2.5e-1
  "pertopt,hero": 2e-6, //     3.9e-7; shares 1.2e-1, 2.8e-2
  "hero,nso": 1e-6, //         1.1e-7; shares 4.9e-2, 1.8e-2
  "hero,seht": 3e-4, //        4.5e-5; shares 2.5e-2, 1.0e-2
  "hero,grad-l1": 2e-6, //     2.7e-7; shares 3.8e-2, 2.3e-1
  "hero,pertopt": 2e-6, //     3.8e-7; shares 7.3e-2, 2.3e-1
  "hero,hero": 1e-6, //        1.5e-7; shares 9.9e-2, 9.9e-2
};

const pairs: Array<[Method, Method]> = [];
for (const a of SEED_METHODS) for (const b of SEED_METHODS) pairs.push([a, b]);

declarePairs(pairs, TOLERANCE, TOLERANCE_CENTRAL, 100);
