/**
 * A float64 reference interpreter for compositions of the built-in gradient plugins (DESIGN.md,
 * "The methods, exactly"), used by compose-matrix.test.ts.
 *
 * Each method is a node that wraps an inner node: `call(at)` is the method's oracle called with
 * the weights at `at` and returns the gradient it hands on. The base node stands for the loss
 * closure. It runs in one of two modes:
 *
 *   - "tape": it consumes the next point the closure was really evaluated at (recorded by the
 *     test), checks that the point is where the reference predicts, and returns the analytic
 *     gradient AT THE RECORDED POINT. Using the recorded (float32) points makes the reference's
 *     finite differences difference the same points as flatfit's, so the comparison measures
 *     flatfit's arithmetic, not float32 rounding of the weights amplified by 1/ε or 1/ε².
 *   - "free": the analytic gradient at the predicted point (pure float64 composed math); with
 *     every draw known from a tape run, this re-evaluates the composition, or one with a method
 *     left out, for the preconditions.
 *
 * What the reference cannot know in advance is read from the tape the first time a method needs
 * it in the step, then kept: nso's U, pertopt's u, seht's σ. A plugin that drew again on a later
 * call of its oracle would move a later point away from where the reference predicts it. The
 * finite-difference steps ε are not drawn: they follow from the weights the method was called at
 * (core's HVP: ε = relativeStep·max(‖W‖, 1)/‖v‖; seht: ε = 1e-2·max(‖W‖, 1)/max(‖σ‖, 1)), so
 * the reference computes them from the formula for each call and the recorded points check them.
 *
 * Hessian-vector products and seht's second difference are the same finite differences flatfit
 * takes, done in float64 over the inner node: the comparison is then free of truncation error
 * (compose-noisy.test.ts compares three pairs with the analytic H instead). The problem has one
 * variable, so hero's per-variable norms are the global ones.
 *
 * The SAM family (@flatfit/plugin-sam, used by compose-matrix-sam.test.ts) follows the papers'
 * definitions as its README states them: sam, usam and asam take g from the inner oracle at the
 * point they are called at and hand on the inner oracle's gradient at W + ε; rsam takes its
 * ascent direction from the inner oracle at W + U (U read from the tape, like nso's U); wp-sgd
 * hands on the inner oracle's gradient at W + U (one draw, read from the tape like pertopt's u).
 * When a draw can only be seen added to another unknown one (an additive draw inside another,
 * evaluated once), the outer method takes the sum and is marked `mixed`.
 */
import type { LogisticProblem, Vec } from "@flatfit/testing";
import { add, norm, scale, sub } from "@flatfit/testing";

/** The methods of DESIGN.md's "The methods, exactly" (compose-matrix.test.ts). */
export const SEED_METHODS = ["nso", "seht", "grad-l1", "pertopt", "hero"] as const;
/** @flatfit/plugin-sam's five methods (compose-matrix-sam.test.ts). */
export const SAM_FAMILY = ["sam", "usam", "asam", "rsam", "wp-sgd"] as const;
export const METHODS = [...SEED_METHODS, ...SAM_FAMILY] as const;
export type Method = (typeof METHODS)[number];

export interface MethodParams {
  nso: { sigma: number; samples: number };
  seht: { lambda: number; prob: number };
  "grad-l1": { lambda: number };
  pertopt: { eta: number; gamma: number; beta2: number; epsilon: number };
  hero: { h: number; gamma: number };
  sam: { rho: number };
  usam: { rho: number };
  /** biases: the problem's one variable is a kernel (not named bias/beta), so T = |W| + η under both settings. */
  asam: { rho: number; eta: number; biases: "identity" | "adaptive" };
  rsam: { rho: number; sigma: number };
  "wp-sgd": { sigma: number; distribution: "gaussian" | "laplace" | "uniform" };
  /** core's `hvp.relativeStep` and `hvp.method` (grad-l1 and hero take their Hessian-vector products from core). */
  relativeStep: number;
  hvpMethod: "forward" | "central";
}

/** seht's second-difference step relative to the weight norm (SECOND_DIFFERENCE_STEP in the plugin). */
export const SEHT_STEP = 1e-2;
/** How far, relative to its size, an offset computed from gradients may be off (see `hero`). */
const DIRECTION_SLACK = 1e-2;
/** hero's norm guard (TINY in the plugin). */
const TINY = 1e-12;

/** The point a node was called at, as deduced from the tape; `exact` false: up to an unknown offset the same on every call. */
interface Anchor {
  p: Vec;
  exact: boolean;
}

/** The draws of one method instance in one step, read from the tape when first needed. */
export interface Draws {
  method: Method;
  /** nso: U_1…U_k; pertopt: [u]; seht: [σ] (entries −1, 0, 1); rsam, wp-sgd: [U]. */
  values: Vec[];
  /** pertopt, wp-sgd: read from a point that also carries an inner method's unknown additive draw (only the sum is known). */
  mixed?: boolean;
}

export interface Node {
  readonly label: string;
  /** Base evaluations per call. */
  readonly evals: number;
  /** True when a call's first base evaluation is at the point the node was called at. */
  readonly cleanFirst: boolean;
  /**
   * The oracle called at `at`. `slack`: how far (∞-norm) the evaluations may lie from their
   * predicted points beyond `pointTol`, for points moved along a direction computed from gradients.
   */
  call(at: Vec, slack?: number): Vec;
  anchor(pos: number): Anchor;
}

export class Interpreter {
  mode: "tape" | "free" = "tape";
  cursor = 0;
  /** Disagreements between the recorded and the predicted evaluations (empty when all agree). */
  readonly problems: string[] = [];
  /** Largest distance of a recorded point from its prediction, relative to max(‖W‖∞, 1). */
  worstPoint = 0;

  constructor(
    readonly problem: LogisticProblem,
    readonly tape: Vec[],
    readonly params: MethodParams,
    /** A recorded point may lie this far (∞-norm, relative to max(‖W‖∞, 1)) from its prediction. */
    readonly pointTol = 1e-5,
  ) {}

  point(pos: number): Vec {
    const p = this.tape[pos];
    if (p === undefined) throw new Error(`the reference expects an evaluation #${pos}, but the closure was evaluated only ${this.tape.length} times`);
    return p;
  }

  readonly base: Node = {
    label: "L",
    evals: 1,
    cleanFirst: true,
    call: (at, slack = 0) => {
      if (this.mode === "free") return this.problem.grad(at);
      const pos = this.cursor++;
      const p = this.point(pos);
      const scaleW = Math.max(1, ...at.map(Math.abs));
      const dist = Math.max(...p.map((x, i) => Math.abs(x - at[i])));
      this.worstPoint = Math.max(this.worstPoint, dist / scaleW);
      if (!(dist <= this.pointTol * scaleW + slack)) {
        this.problems.push(
          `evaluation #${pos}: recorded at [${fmt(p)}], the reference predicts [${fmt(at)}] (distance ${(dist / scaleW).toExponential(2)} relative, allowed ${((this.pointTol * scaleW + slack) / scaleW).toExponential(2)})`,
        );
      }
      return this.problem.grad(p);
    },
    anchor: (pos) => ({ p: this.point(pos), exact: true }),
  };

  note(message: string): void {
    this.problems.push(message);
  }

  /** Every Draws object a node was built with (what `peek` puts back). */
  private readonly allDraws = new Set<Draws>();

  /** The node of `method` around `inner`, keeping its draws in `draws` (shared between nodes built from the same draws). */
  node(method: Method, inner: Node, draws: Draws): Node {
    this.allDraws.add(draws);
    switch (method) {
      case "nso":
        return this.nso(inner, draws);
      case "pertopt":
        return this.pertopt(inner, draws);
      case "seht":
        return this.seht(inner, draws);
      case "grad-l1":
        return this.gradL1(inner);
      case "hero":
        return this.hero(inner);
      case "sam":
        return this.ascent("sam", inner, (at, g) => scale(g, this.params.sam.rho / Math.max(norm(g), TINY)));
      case "usam":
        return this.ascent("usam", inner, (at, g) => scale(g, this.params.usam.rho));
      case "asam":
        return this.ascent("asam", inner, (at, g) => this.asamOffset(at, g));
      case "rsam":
        return this.rsam(inner, draws);
      case "wp-sgd":
        return this.wpSgd(inner, draws);
    }
  }

  /**
   * Runs `f` in tape mode and then puts back everything it moved (cursor, problems, draws read):
   * to learn what an inner oracle would return before its draws can be read in the right order.
   */
  private peek<T>(f: () => T): T {
    const cursor = this.cursor;
    const problems = this.problems.length;
    const worst = this.worstPoint;
    const saved = [...this.allDraws].map((d) => ({ d, values: [...d.values], mixed: d.mixed }));
    try {
      return f();
    } finally {
      this.cursor = cursor;
      this.problems.length = problems;
      this.worstPoint = worst;
      for (const { d, values, mixed } of saved) {
        d.values = values;
        d.mixed = mixed;
      }
    }
  }

  private needTape(method: string): void {
    if (this.mode !== "tape") throw new Error(`${method}: its draw was never read from a tape run`);
  }

  /** out = (1/2k)·Σ_j [G(W + U_j) + G(W − U_j)]. */
  private nso(inner: Node, draws: Draws): Node {
    const { sigma, samples } = this.params.nso;
    // The call point is the middle of the first ± pair (exact when the inner node's offset is known).
    const anchor = (pos: number): Anchor => {
      const a = inner.anchor(pos);
      const b = inner.anchor(pos + inner.evals);
      return { p: scale(add(a.p, b.p), 0.5), exact: a.exact && b.exact };
    };
    return {
      label: `nso(${inner.label})`,
      evals: 2 * samples * inner.evals,
      cleanFirst: false,
      anchor,
      call: (at, slack = 0) => {
        let sum = at.map(() => 0);
        for (let j = 0; j < samples; j++) {
          if (draws.values[j] === undefined) {
            this.needTape("nso");
            // The inner oracle is called at W + U_j, then at W − U_j: their anchors differ by
            // 2U_j whatever offset the inner node adds, as long as it adds the same one twice.
            const U = scale(sub(inner.anchor(this.cursor).p, inner.anchor(this.cursor + inner.evals).p), 0.5);
            draws.values[j] = U;
            const big = Math.max(...U.map(Math.abs));
            if (!(big < 6 * sigma && norm(U) > 0.05 * sigma)) this.note(`nso: the noise U_${j + 1} read back, [${fmt(U)}], is implausible for sigma ${sigma}`);
          }
          const U = draws.values[j];
          sum = add(sum, add(inner.call(add(at, U), slack), inner.call(sub(at, U), slack)));
        }
        return scale(sum, 1 / (2 * samples));
      },
    };
  }

  /** out = G(W + u). */
  private pertopt(inner: Node, draws: Draws): Node {
    return {
      label: `pertopt(${inner.label})`,
      evals: inner.evals,
      cleanFirst: false,
      anchor: (pos) => {
        const r = inner.anchor(pos);
        const u = draws.values[0];
        return u ? { p: sub(r.p, u), exact: r.exact && !draws.mixed } : { p: r.p, exact: false };
      },
      call: (at, slack = 0) => {
        if (draws.values.length === 0) {
          this.needTape("pertopt");
          const r = inner.anchor(this.cursor);
          draws.values.push(sub(r.p, at));
          // Only [pertopt, pertopt]: the one evaluation carries both draws; the sum is given to
          // the outer one (the inner then reads u ≈ 0).
          draws.mixed = !r.exact;
        }
        return inner.call(add(at, draws.values[0]), slack);
      },
    };
  }

  /** out = g + λ·(G(W + εσ) − 2g + G(W − εσ))/ε², g = G(W) (samples = 1). */
  private seht(inner: Node, draws: Draws): Node {
    const { lambda } = this.params.seht;
    return {
      label: `seht(${inner.label})`,
      evals: 3 * inner.evals,
      cleanFirst: inner.cleanFirst,
      anchor: (pos) => inner.anchor(pos),
      call: (at, slack = 0) => {
        const g = inner.call(at, slack);
        if (draws.values.length === 0) {
          this.needTape("seht");
          const r = inner.anchor(this.cursor);
          if (!r.exact) this.note("seht: σ cannot be read back (the inner oracle's first point carries an unknown draw)");
          draws.values.push(this.readSigma(sub(r.p, at), at));
        }
        const sigma = draws.values[0];
        const eps = (SEHT_STEP * Math.max(norm(at), 1)) / Math.max(norm(sigma), 1);
        const gp = inner.call(add(at, scale(sigma, eps)), slack);
        const gm = inner.call(sub(at, scale(sigma, eps)), slack);
        const second = scale(add(sub(gp, scale(g, 2)), gm), 1 / (eps * eps));
        return add(g, scale(second, lambda));
      },
    };
  }

  /** σ from seht's first offset εσ: every entry must be −ε, 0 or +ε, with ε from the formula. */
  private readSigma(offset: Vec, at: Vec): Vec {
    const big = Math.max(...offset.map(Math.abs));
    const sigma = offset.map((o) => (Math.abs(o) > big / 2 ? Math.sign(o) : 0));
    const eps = (SEHT_STEP * Math.max(norm(at), 1)) / Math.max(norm(sigma), 1);
    const off = offset.map((o, i) => Math.abs(o - sigma[i] * eps) / eps);
    if (!(Math.max(...off) < 1e-2)) {
      this.note(`seht: the offset read back, [${fmt(offset)}], is not in {−ε, 0, +ε}^n with ε = ${eps.toExponential(4)} (worst entry off by ${Math.max(...off).toExponential(2)}·ε)`);
    }
    return sigma;
  }

  /**
   * core's finite-difference H·v of the inner oracle at `at`, ε = relativeStep·max(‖W‖, 1)/‖v‖:
   * "forward" (G(W + εv) − G(W))/ε reusing `g0` = G(W); "central" (G(W + εv) − G(W − εv))/2ε.
   * `offsetSlack`: the allowance for the points W ± εv when v is off by that much relative.
   */
  private hvp(inner: Node, at: Vec, v: Vec, g0: Vec, slack: number, offsetSlack = 0): Vec {
    const eps = (this.params.relativeStep * Math.max(norm(at), 1)) / Math.max(norm(v), 1e-12);
    const s = slack + offsetSlack * eps * Math.max(...v.map(Math.abs));
    const gp = inner.call(add(at, scale(v, eps)), s);
    if (this.params.hvpMethod === "forward") return scale(sub(gp, g0), 1 / eps);
    const gm = inner.call(sub(at, scale(v, eps)), s);
    return scale(sub(gp, gm), 1 / (2 * eps));
  }

  /** Gradient evaluations of one H·v (beyond the gradient at W). */
  private get hvpEvals(): number {
    return this.params.hvpMethod === "forward" ? 1 : 2;
  }

  /** out = g + λ·H·sign(g), g = G(W), H·sign(g) by core's finite difference of G. */
  private gradL1(inner: Node): Node {
    const { lambda } = this.params["grad-l1"];
    return {
      label: `grad-l1(${inner.label})`,
      evals: (1 + this.hvpEvals) * inner.evals,
      cleanFirst: inner.cleanFirst,
      anchor: (pos) => inner.anchor(pos),
      call: (at, slack = 0) => {
        const g = inner.call(at, slack);
        return add(g, scale(this.hvp(inner, at, g.map(Math.sign), g, slack), lambda));
      },
    };
  }

  /**
   * z elementwise, W* = W + h·z, g* = G(W*), d = g* − g, out = g* + γ·2·H(W*)·d, the product by
   * core's finite difference of G at W*.
   * h·z and ε·d are computed from the inner oracle's gradients, so the points they lead to carry
   * those gradients' float32 error (in d = g* − g, after cancellation, up to ~1e-3 of d when the
   * inner oracle is itself a finite difference); such points may be DIRECTION_SLACK of the offset
   * further from the prediction. A wrong draw, step or direction is off by far more.
   */
  private hero(inner: Node): Node {
    const { h, gamma } = this.params.hero;
    const big = (v: Vec) => Math.max(...v.map(Math.abs));
    return {
      label: `hero(${inner.label})`,
      evals: (2 + this.hvpEvals) * inner.evals,
      cleanFirst: inner.cleanFirst,
      anchor: (pos) => inner.anchor(pos),
      call: (at, slack = 0) => {
        const g = inner.call(at, slack);
        const c = h / (Math.max(norm(at), TINY) * Math.max(norm(g), TINY));
        const hz = at.map((w, i) => w * w * g[i] * c);
        const star = add(at, hz);
        const starSlack = slack + DIRECTION_SLACK * big(hz);
        const gs = inner.call(star, starSlack);
        const hd = this.hvp(inner, star, sub(gs, g), gs, starSlack, DIRECTION_SLACK);
        return add(gs, scale(hd, 2 * gamma));
      },
    };
  }

  /**
   * The SAM-type step (sam, usam, asam): g = G(W), ε = offset(W, g), out = G(W + ε). ε is computed
   * from the inner oracle's gradient, so the second point carries that gradient's float32 error
   * (after a finite-difference inner oracle, up to ~1e-3 of ε): DIRECTION_SLACK of ε, as for hero.
   */
  private ascent(name: string, inner: Node, offset: (at: Vec, g: Vec) => Vec): Node {
    return {
      label: `${name}(${inner.label})`,
      evals: 2 * inner.evals,
      cleanFirst: inner.cleanFirst,
      anchor: (pos) => inner.anchor(pos),
      call: (at, slack = 0) => {
        const g = inner.call(at, slack);
        const eps = offset(at, g);
        return inner.call(add(at, eps), slack + DIRECTION_SLACK * maxAbs(eps));
      },
    };
  }

  /**
   * ASAM (Kwon et al.): T = |W| + η elementwise, at the weights the oracle is called at;
   * ε = ρ·T⊙T⊙g/‖T⊙g‖ (one norm over all variables, guarded like the plugin's norms).
   */
  private asamOffset(at: Vec, g: Vec): Vec {
    const { rho, eta } = this.params.asam;
    const T = at.map((w) => Math.abs(w) + eta);
    const Tg = g.map((x, i) => T[i] * x);
    const c = rho / Math.max(norm(Tg), TINY);
    return Tg.map((x, i) => c * T[i] * x);
  }

  /** A noise draw read back is plausible for its σ and distribution (not checked when only a sum is seen). */
  private checkNoise(method: string, U: Vec, sigma: number, distribution: MethodParams["wp-sgd"]["distribution"] = "gaussian"): void {
    // Gaussian: P(|x| > 6σ) ≈ 2e-9 per entry; Laplace (scale σ/√2): P(|x| > 12σ) ≈ 4e-8; uniform on [−√3σ, √3σ].
    const bound = distribution === "uniform" ? Math.sqrt(3) * sigma * (1 + 1e-5) : (distribution === "laplace" ? 12 : 6) * sigma;
    if (!(maxAbs(U) < bound && norm(U) > 0.05 * sigma)) this.note(`${method}: the noise U read back, [${fmt(U)}], is implausible for sigma ${sigma} (${distribution})`);
  }

  /**
   * RSAM: g̃ = G(W + U), ε = ρ·g̃/‖g̃‖, out = G(W + ε) (the ascent starts from W). U is read from
   * the first point the first time it is needed; when the inner oracle adds an unknown draw of
   * its own (pertopt, wp-sgd), the two calls' points share that unknown offset, so
   * U = p₁ − p₂ + ε, with g̃ what the inner oracle returns at the first point (`peek`).
   */
  private rsam(inner: Node, draws: Draws): Node {
    const { rho, sigma } = this.params.rsam;
    const ascentOffset = (g: Vec) => scale(g, rho / Math.max(norm(g), TINY));
    return {
      label: `rsam(${inner.label})`,
      evals: 2 * inner.evals,
      cleanFirst: false,
      anchor: (pos) => {
        const U = draws.values[0];
        if (U) {
          const r = inner.anchor(pos);
          return { p: sub(r.p, U), exact: r.exact };
        }
        // Around the base: the second point is W + ε, and ε follows from the gradient at the first.
        if (inner === this.base) return { p: sub(this.point(pos + 1), ascentOffset(this.problem.grad(this.point(pos)))), exact: true };
        return { p: inner.anchor(pos).p, exact: false };
      },
      call: (at, slack = 0) => {
        if (draws.values.length === 0) {
          this.needTape("rsam");
          const r1 = inner.anchor(this.cursor);
          if (r1.exact) {
            draws.values.push(sub(r1.p, at));
          } else {
            const r2 = inner.anchor(this.cursor + inner.evals);
            const gt = this.peek(() => inner.call(r1.p));
            draws.values.push(add(sub(r1.p, r2.p), ascentOffset(gt)));
          }
          this.checkNoise("rsam", draws.values[0], sigma);
        }
        const gt = inner.call(add(at, draws.values[0]), slack);
        const eps = ascentOffset(gt);
        return inner.call(add(at, eps), slack + DIRECTION_SLACK * maxAbs(eps));
      },
    };
  }

  /** WP-SGD: out = G(W + U), one draw (read like pertopt's u). */
  private wpSgd(inner: Node, draws: Draws): Node {
    const { sigma, distribution } = this.params["wp-sgd"];
    return {
      label: `wp-sgd(${inner.label})`,
      evals: inner.evals,
      cleanFirst: false,
      anchor: (pos) => {
        const r = inner.anchor(pos);
        const U = draws.values[0];
        return U ? { p: sub(r.p, U), exact: r.exact && !draws.mixed } : { p: r.p, exact: false };
      },
      call: (at, slack = 0) => {
        if (draws.values.length === 0) {
          this.needTape("wp-sgd");
          const r = inner.anchor(this.cursor);
          draws.values.push(sub(r.p, at));
          // Inside pertopt or another wp-sgd, evaluated once: only the sum of the two draws is
          // seen; it is given to this (outer) one, and the inner then reads ≈ 0.
          draws.mixed = !r.exact;
          // Not checked when the draw is a sum, nor when it is the ≈ 0 left inside an outer one that took the sum.
          if (![...this.allDraws].some((d) => d.mixed)) this.checkNoise("wp-sgd", draws.values[0], sigma, distribution);
        }
        return inner.call(add(at, draws.values[0]), slack);
      },
    };
  }
}

function maxAbs(v: Vec): number {
  return Math.max(...v.map(Math.abs));
}

function fmt(v: Vec): string {
  return v.map((x) => x.toPrecision(8)).join(", ");
}
