/**
 * The SAM family (@flatfit/plugin-sam: sam, usam, asam, rsam, wp-sgd) in composition: every
 * ordered pair [A, B] of the ten built-in gradient plugins in which at least one side is a
 * SAM-family method (75 pairs), checked exactly as compose-matrix.test.ts checks DESIGN.md's
 * five (compose-check.ts): against the float64 reference interpreter (compose-reference.ts),
 * which predicts every closure evaluation of the second step, reads rsam's and wp-sgd's noise U
 * from the tape the first time it is needed (a redraw on a later oracle call, e.g. by the second
 * of rsam's two calls inside seht's three, moves a later point away from the prediction), and
 * computes the composed gradient at the recorded points. Checked per pair: the final gradient,
 * the number of closure evaluations, the clean forward pass first when the chain's first
 * evaluation is perturbed (rsam and wp-sgd never evaluate at W first), the draws read back
 * (plausible for σ; two rsam instances draw independently), and each method's share of the
 * result standing well above the tolerance. The pairs with grad-l1 or hero run again with
 * hvp.method "central".
 *
 * What the points cannot show: two additive draws nested and evaluated once ([pertopt, wp-sgd],
 * [wp-sgd, pertopt], [wp-sgd, wp-sgd]) are seen only as their sum, so neither method's share
 * nor the independence of two wp-sgd instances can be told apart there. rsam inside or around
 * them can: its two calls' points share the other draw, and the difference fixes rsam's U.
 * ASAM's `biases` rule is not exercised: the problem's one variable is a kernel.
 */
import { declarePairs } from "./compose-check";
import { METHODS, SAM_FAMILY, type Method } from "./compose-reference";

/**
 * Relative error allowed per pair, ‖flatfit − reference‖/‖reference‖: about five times the
 * largest error measured on "cpu" and "cpu-unfused" (the measured value is logged), as in
 * compose-matrix.test.ts. The SAM family takes no finite differences, so a pair of it with
 * nso, pertopt or itself sits near float32's 1e-7; with grad-l1 or hero the HVP's rounding over ε
 * (~1e-5 and ~1e-7–1e-6 of the result) and with seht its second difference's over ε² (~1e-4 at
 * λ = 0.1) dominate, as in the other matrix. A SAM-type offset ε computed from float32 gradients
 * moves the next point by that gradient's error, but the reference takes its gradients at the
 * recorded points, so that moves nothing in the comparison. The shares (each method's part of the
 * result, from the reference with that method left out) all stand at least 4 tolerances high
 * (SHARE_OVER_TOLERANCE in compose-check.ts; not checked for the inner method of a one-point pair).
 */
const TOLERANCE: Record<string, number> = {
  // measured on cpu / cpu-unfused (largest of the two), with each method's share of the result
  "nso,sam": 2e-7, //              3.8e-8; shares 6.1e-2, 8.0e-2
  "nso,usam": 2e-7, //             3.8e-8; shares 2.8e-2, 6.7e-2
  "nso,asam": 5e-7, //             7.0e-8; shares 3.6e-2, 1.4e-1
  "nso,rsam": 3e-7, //             5.5e-8; shares 4.3e-2, 1.1e-1
  "nso,wp-sgd": 5e-7, //           7.0e-8; shares 3.5e-2, 2.4e-1
  "seht,sam": 1e-3, //             1.3e-4; shares 5.0e-2, 6.0e-2
  "seht,usam": 2e-4, //            3.0e-5; shares 1.0e-2, 7.5e-2
  "seht,asam": 1e-3, //            1.6e-4; shares 7.1e-2, 5.4e-2
  "seht,rsam": 1e-3, //            1.1e-4; shares 5.6e-2, 1.0e-1
  "seht,wp-sgd": 5e-4, //          8.1e-5; shares 4.0e-2, 1.3e-1
  "grad-l1,sam": 1e-4, //          1.7e-5; shares 1.7e-1, 3.4e-2
  "grad-l1,usam": 2e-4, //         3.1e-5; shares 3.5e-1, 1.7e-1
  "grad-l1,asam": 1e-4, //         1.8e-5; shares 2.7e-1, 4.7e-2
  "grad-l1,rsam": 1e-4, //         1.7e-5; shares 1.3e-1, 1.4e-2
  "grad-l1,wp-sgd": 2e-4, //       2.7e-5; shares 1.8e-1, 5.8e-1
  "pertopt,sam": 3e-7, //          4.4e-8; shares 9.0e-2, 2.7e-2
  "pertopt,usam": 2e-7, //         3.1e-8; shares 1.1e-1, 1.3e-1
  "pertopt,asam": 2e-7, //         3.1e-8; shares 1.2e-1, 7.0e-2
  "pertopt,rsam": 2e-7, //         3.4e-8; shares 1.8e-1, 1.2e-1
  "pertopt,wp-sgd": 3e-7, //       5.3e-8; one evaluation: only the sum of the two draws is seen (its share 2.8e-1)
  "hero,sam": 5e-6, //             7.3e-7; shares 5.4e-2, 3.8e-2
  "hero,usam": 5e-6, //            6.4e-7; shares 7.6e-2, 1.6e-1
  "hero,asam": 2e-6, //            2.8e-7; shares 4.0e-2, 8.3e-2
  "hero,rsam": 2e-6, //            3.4e-7; shares 2.3e-2, 1.4e-1
  "hero,wp-sgd": 3e-6, //          5.6e-7; shares 4.0e-2, 2.0e-1
  "sam,nso": 2e-7, //              2.9e-8; shares 1.1e-1, 8.2e-2
  "sam,seht": 2e-3, //             2.3e-4; shares 6.6e-2, 6.5e-2
  "sam,grad-l1": 1e-4, //          1.2e-5; shares 2.7e-2, 1.6e-1
  "sam,pertopt": 3e-7, //          5.0e-8; shares 5.9e-2, 1.7e-1
  "sam,hero": 2e-6, //             2.3e-7; shares 8.0e-2, 2.5e-2
  "sam,sam": 2e-7, //              2.5e-8; shares 4.4e-2, 4.4e-2
  "sam,usam": 2e-7, //             2.2e-8; shares 1.7e-1, 1.9e-1
  "sam,asam": 5e-7, //             6.9e-8; shares 8.0e-2, 1.6e-1
  "sam,rsam": 5e-7, //             6.6e-8; shares 1.0e-1, 9.8e-2
  "sam,wp-sgd": 2e-7, //           3.3e-8; shares 5.1e-2, 2.3e-1
  "usam,nso": 3e-7, //             4.8e-8; shares 1.7e-1, 4.5e-2
  "usam,seht": 3e-3, //            4.5e-4; shares 1.7e-1, 1.6e-1
  "usam,grad-l1": 1e-4, //         1.5e-5; shares 1.0e-1, 1.7e-1
  "usam,pertopt": 3e-7, //         4.1e-8; shares 1.0e-1, 9.3e-2
  "usam,hero": 3e-6, //            4.9e-7; shares 2.1e-1, 2.7e-2
  "usam,sam": 3e-7, //             5.2e-8; shares 5.9e-2, 9.1e-2
  "usam,usam": 2e-7, //            2.2e-8; shares 1.1e-1, 1.1e-1
  "usam,asam": 1e-7, //            1.5e-8; shares 4.7e-2, 4.1e-2
  "usam,rsam": 3e-7, //            4.1e-8; shares 9.4e-2, 3.8e-2
  "usam,wp-sgd": 5e-8, //          7.2e-9; shares 1.5e-1, 1.5e-1
  "asam,nso": 1e-7, //             1.8e-8; shares 1.5e-1, 1.9e-1
  "asam,seht": 2e-3, //            3.5e-4; shares 9.6e-2, 1.8e-1
  "asam,grad-l1": 2e-4, //         3.6e-5; shares 8.1e-2, 1.3e-1
  "asam,pertopt": 3e-7, //         5.6e-8; shares 3.1e-1, 2.3e-1
  "asam,hero": 3e-6, //            5.0e-7; shares 7.2e-2, 4.0e-2
  "asam,sam": 2e-7, //             2.6e-8; shares 5.8e-2, 5.9e-2
  "asam,usam": 2e-7, //            3.0e-8; shares 1.0e-1, 1.4e-1
  "asam,asam": 2e-7, //            2.6e-8; shares 1.1e-1, 1.1e-1
  "asam,rsam": 2e-7, //            3.9e-8; shares 5.9e-2, 5.5e-2
  "asam,wp-sgd": 2e-7, //          3.8e-8; shares 8.4e-2, 2.8e-1
  "rsam,nso": 3e-7, //             5.6e-8; shares 1.2e-1, 1.1e-2
  "rsam,seht": 2e-4, //            2.3e-5; shares 6.9e-2, 2.3e-2
  "rsam,grad-l1": 1e-4, //         1.8e-5; shares 7.9e-2, 3.7e-1
  "rsam,pertopt": 2e-7, //         3.1e-8; shares 3.9e-2, 1.2e-1
  "rsam,hero": 2e-6, //            3.6e-7; shares 8.8e-2, 3.2e-2
  "rsam,sam": 2e-7, //             3.2e-8; shares 1.1e-1, 1.0e-1
  "rsam,usam": 2e-7, //            2.8e-8; shares 9.4e-2, 1.7e-1
  "rsam,asam": 2e-7, //            2.6e-8; shares 7.5e-2, 6.8e-2
  "rsam,rsam": 5e-7, //            7.7e-8; shares 8.1e-2, 8.0e-2
  "rsam,wp-sgd": 2e-7, //          2.9e-8; shares 7.9e-2, 4.1e-1
  "wp-sgd,nso": 2e-7, //           3.1e-8; shares 1.4e-1, 5.2e-3
  "wp-sgd,seht": 5e-4, //          7.4e-5; shares 2.5e-1, 1.9e-2
  "wp-sgd,grad-l1": 2e-4, //       3.2e-5; shares 1.6e-1, 2.7e-1
  "wp-sgd,pertopt": 3e-7, //       5.0e-8; one evaluation: only the sum of the two draws is seen (its share 2.1e-1)
  "wp-sgd,hero": 2e-6, //          3.7e-7; shares 2.3e-1, 4.3e-2
  "wp-sgd,sam": 3e-7, //           4.0e-8; shares 4.3e-1, 1.2e-1
  "wp-sgd,usam": 5e-7, //          6.1e-8; shares 4.1e-1, 1.3e-1
  "wp-sgd,asam": 5e-7, //          5.5e-8; shares 8.5e-1, 2.4e-1
  "wp-sgd,rsam": 2e-7, //          2.5e-8; shares 1.0e-1, 2.6e-2
  "wp-sgd,wp-sgd": 5e-7, //        7.1e-8; one evaluation: only the sum of the two draws is seen (its share 3.9e-1)
};

/** The same for the pairs with hvp.method "central" (measured likewise). */
const TOLERANCE_CENTRAL: Record<string, number> = {
  "grad-l1,sam": 5e-5, //          8.8e-6; shares 9.6e-2, 1.6e-2
  "grad-l1,usam": 1e-4, //         1.3e-5; shares 4.2e-1, 1.2e-1
  "grad-l1,asam": 5e-5, //         8.5e-6; shares 2.8e-1, 9.4e-2
  "grad-l1,rsam": 1e-4, //         1.5e-5; shares 2.9e-1, 3.3e-1
  "grad-l1,wp-sgd": 1e-4, //       1.6e-5; shares 2.3e-1, 6.1e-1
  "hero,sam": 3e-6, //             5.5e-7; shares 4.8e-2, 8.2e-2
  "hero,usam": 2e-6, //            2.2e-7; shares 8.3e-2, 9.3e-2
  "hero,asam": 1e-6, //            1.4e-7; shares 4.0e-2, 6.7e-2
  "hero,rsam": 1e-6, //            1.2e-7; shares 3.9e-2, 7.1e-2
  "hero,wp-sgd": 2e-6, //          2.9e-7; shares 5.0e-2, 1.0e-1
  "sam,grad-l1": 1e-4, //          1.9e-5; shares 1.6e-1, 4.4e-1
  "sam,hero": 2e-6, //             2.6e-7; shares 5.6e-2, 3.6e-2
  "usam,grad-l1": 5e-5, //         9.7e-6; shares 1.4e-1, 2.5e-1
  "usam,hero": 2e-6, //            3.4e-7; shares 1.2e-1, 3.3e-2
  "asam,grad-l1": 2e-5, //         3.7e-6; shares 7.2e-2, 1.0e-1
  "asam,hero": 2e-6, //            2.2e-7; shares 1.1e-1, 9.4e-2
  "rsam,grad-l1": 1e-4, //         1.1e-5; shares 9.2e-2, 3.1e-1
  "rsam,hero": 3e-6, //            4.4e-7; shares 1.3e-1, 4.6e-2
  "wp-sgd,grad-l1": 5e-5, //       7.5e-6; shares 3.2e-1, 1.8e-1
  "wp-sgd,hero": 2e-6, //          2.0e-7; shares 1.8e-1, 3.0e-2
};

const isSam = (m: Method) => (SAM_FAMILY as readonly Method[]).includes(m);
const pairs: Array<[Method, Method]> = [];
for (const a of METHODS) for (const b of METHODS) if (isSam(a) || isSam(b)) pairs.push([a, b]);

declarePairs(pairs, TOLERANCE, TOLERANCE_CENTRAL, 300);
