/**
 * PertOPT — the perturbed optimizer of "Identifying Generalization Properties in Neural Networks"
 * (Wang, Keskar, Xiong, Socher; Algorithm 1). Each step evaluates the gradient at W + u with
 * u_i ~ U(−σ_i, σ_i), per-parameter levels σ_i set from a running second-moment estimate h of the
 * gradients, the variation ρ of h between steps, and the scale of the weights:
 *
 *   ρ_i = |h_t[i] − h_{t−1}[i]| / ‖W_t − W_{t−1}‖                  (global norm; 0 when W did not move)
 *   κ_i = gamma / log(1 + epoch) · |W_{t−1}[i]| + epsilon           (epoch counted from 1)
 *   σ_i = min( 1 / (log(1 + epoch) · √(eta·(h_t[i] + ρ_i·κ_i))), κ_i ) · [ |g_t[i]| < beta2 ]
 *   g_{t+1} = ∇L(W_t + u)   (the gradient handed on)
 *   h_{t+1} = beta1 · h_t + (1 − beta1) · g_{t+1}²
 *
 * g_t in the mask is the gradient the previous step handed on (Algorithm 1, lines 9 and 13), so a
 * step costs one gradient evaluation, plus the clean forward pass the engine runs for the loss
 * `model.fit` reports. The first step (t = 0) is unperturbed (σ starts at 0).
 *
 * State (h_t, h_{t−1}, W_{t−1}, g_t and the step count t) is saved with the optimizer, positionally
 * in the order of the step's trainable variables (a reloaded model has new variable names). While
 * training, the state follows each variable by name: when the trainable set changes between steps
 * (a layer frozen or unfrozen, a fine-tuning phase), a variable keeps its own state, a variable
 * that leaves the step keeps its state parked until it returns, and a new variable starts as every
 * variable starts, unperturbed for its first step.
 */
import * as tf from "@tensorflow/tfjs";
import { inject, injectable } from "tsyringe";
import {
  addMany,
  Logger,
  PLUGIN_OPTIONS,
  secondMomentUpdate,
  z,
  type FlatfitHooks,
  type FlatfitPlugin,
  type GradientOracle,
  type GradientResult,
  type StepContext,
} from "@flatfit/core";
import { movedSquaredKernel, perturbedWeightsKernel, sigmaKernel, type SigmaAttrs } from "./kernels";

const optionsSchema = z.strictObject({
  /** η: scales the curvature bound on σ. The paper's CIFAR runs (Adam, lr 1e-4) use 0.01; Tiny ImageNet (SGD, lr 1e-2) 100. */
  eta: z.number().gt(0).default(0.01),
  /** γ: perturbation relative to |W| (the κ cap). Algorithm 1 states 0.1; the paper's runs use 10 (CIFAR) and 1 (Tiny ImageNet). */
  gamma: z.number().min(0).default(0.1),
  /** β1: decay of the second-moment estimate h. */
  beta1: z.number().min(0).lt(1).default(0.999),
  /** β2: only parameters whose last gradient satisfies |g| < β2 are perturbed. */
  beta2: z.number().gt(0).default(0.1),
  /** ε: floor of κ. */
  epsilon: z.number().gt(0).default(1e-5),
});

export type PertoptOptions = z.output<typeof optionsSchema>;

interface PertoptState {
  /** Completed steps. */
  t: number;
  /** The variables the state is for, in order; undefined after `setState` until the next step binds it by position. */
  names?: string[];
  /** h_t, h_{t−1}, W_{t−1}, g_t: one tensor per trainable variable, in the step's order. */
  h: tf.Tensor[];
  hPrev: tf.Tensor[];
  wPrev: tf.Tensor[];
  g: tf.Tensor[];
}

/** One variable's h_t, h_{t−1}, W_{t−1}, g_t. */
interface VariableState {
  h: tf.Tensor;
  hPrev: tf.Tensor;
  wPrev: tf.Tensor;
  g: tf.Tensor;
}

const keepClone = (x: tf.Tensor): tf.Tensor => tf.keep(tf.clone(x));
const shapeOf = (ts: readonly { shape: number[] }[]): string => ts.map((x) => `[${x.shape.join(",")}]`).join(" ");

@injectable()
export class PertoptPlugin implements FlatfitPlugin {
  static readonly id = "pertopt";
  static readonly coreApi = "^1";
  static readonly options = optionsSchema;

  private state?: PertoptState;
  /** The state of variables trained before and not in the last step (frozen since), by name. */
  private parked = new Map<string, VariableState>();
  /** The step count as a tensor, for getState (kept; replaced after every step). */
  private tTensor?: tf.Tensor;
  /** Per-step values, set in beforeStep and consumed in afterStep. */
  private wNow?: tf.Tensor[];
  private sigmaNames: string[] = [];
  /** What σ of this step is computed from (it is computed inside the perturbed-weights kernel). */
  private sigmaInputs?: { h: tf.Tensor[]; hPrev: tf.Tensor[]; wPrev: tf.Tensor[]; g: tf.Tensor[]; movedSquared: tf.Tensor; attrs: SigmaAttrs };
  /** State tensors the last step's σ was computed from, kept until the next step for `lastSigma`. */
  private retired: tf.Tensor[] = [];
  /** σ of the last step, computed on request. */
  private sigma?: tf.Tensor[];
  private out?: tf.Tensor[];

  constructor(
    @inject(PLUGIN_OPTIONS) readonly options: PertoptOptions,
    private readonly logger: Logger,
  ) {}

  apply(hooks: FlatfitHooks): void {
    const o = this.options;
    this.logger.debug(`pertopt: eta=${o.eta}, gamma=${o.gamma}, beta1=${o.beta1}, beta2=${o.beta2}, epsilon=${o.epsilon}`);
    hooks.beforeStep.tap(PertoptPlugin.id, (ctx) => this.beforeStep(ctx));
    hooks.gradient.tap(PertoptPlugin.id, (oracle: GradientOracle, ctx: StepContext) => () => this.evaluate(oracle, ctx));
    hooks.afterStep.tap(PertoptPlugin.id, () => this.afterStep());
  }

  /** Steps this plugin has completed (t in Algorithm 1). */
  get steps(): number {
    return this.state?.t ?? 0;
  }

  /**
   * The perturbation levels σ of the latest step, keyed by variable name (zeros for the first
   * step). The tensors belong to the plugin and are replaced at the next step: read or clone them.
   */
  lastSigma(): tf.NamedTensorMap {
    if (this.sigma === undefined && this.sigmaNames.length > 0) this.sigma = this.computeSigma();
    const out: tf.NamedTensorMap = {};
    (this.sigma ?? []).forEach((s, j) => (out[this.sigmaNames[j]] = s));
    return out;
  }

  getState(): tf.NamedTensorMap {
    const s = this.state;
    if (!s || !this.tTensor) return {};
    const out: tf.NamedTensorMap = { t: this.tTensor };
    s.h.forEach((_, j) => {
      out[`h/${j}`] = s.h[j];
      out[`hPrev/${j}`] = s.hPrev[j];
      out[`wPrev/${j}`] = s.wPrev[j];
      out[`g/${j}`] = s.g[j];
    });
    return out;
  }

  setState(map: tf.NamedTensorMap): void {
    const t = map["t"];
    if (t === undefined) throw new Error(`pertopt: saved state has no step count "t" (has: ${Object.keys(map).join(", ")})`);
    const count = Object.keys(map).filter((k) => k.startsWith("h/")).length;
    const part = (name: string, j: number): tf.Tensor => {
      const x = map[`${name}/${j}`];
      if (x === undefined) throw new Error(`pertopt: saved state lacks "${name}/${j}" (has: ${Object.keys(map).join(", ")})`);
      return keepClone(x);
    };
    const next: PertoptState = { t: Math.round(t.dataSync()[0]), h: [], hPrev: [], wPrev: [], g: [] };
    for (let j = 0; j < count; j++) {
      next.h.push(part("h", j));
      next.hPrev.push(part("hPrev", j));
      next.wPrev.push(part("wPrev", j));
      next.g.push(part("g", j));
    }
    this.disposeSigma();
    this.disposeState();
    this.state = next;
    this.tTensor = tf.keep(tf.scalar(next.t, "int32"));
  }

  /**
   * Lines the state up with this step's variables. Loaded state is bound by position (its count
   * and shapes must match); after that each variable is followed by name: one that left the step
   * is parked, one that comes back takes its parked state, and a new one starts with h = h_prev = 0,
   * W_{t−1} = W and g = β₂, which masks its σ to 0 — its first step is unperturbed, like every
   * variable's first step.
   */
  private align(s: PertoptState, vars: readonly tf.Variable[]): void {
    const names = vars.map((v) => v.name);
    if (s.names === undefined) {
      if (s.h.length !== vars.length || s.h.some((h, j) => !tf.util.arraysEqual(h.shape, vars[j].shape))) {
        throw new Error(
          `pertopt: its state holds ${s.h.length} tensors shaped ${shapeOf(s.h)}, but this step trains ${vars.length} variables shaped ${shapeOf(vars)}; ` +
            `restore state only into the model (and variable order) it was saved from`,
        );
      }
      s.names = names;
      return;
    }
    if (s.names.length === names.length && s.names.every((n, j) => n === names[j])) return;
    const mine = new Map<string, VariableState>(s.names.map((n, j) => [n, { h: s.h[j], hPrev: s.hPrev[j], wPrev: s.wPrev[j], g: s.g[j] }]));
    const next = vars.map((v): VariableState => {
      const known = mine.get(v.name) ?? this.parked.get(v.name);
      mine.delete(v.name);
      this.parked.delete(v.name);
      if (known && tf.util.arraysEqual(known.h.shape, v.shape)) return known;
      if (known) tf.dispose([known.h, known.hPrev, known.wPrev, known.g]); // a variable of that name with another shape: a new variable
      return { h: tf.keep(tf.zerosLike(v)), hPrev: tf.keep(tf.zerosLike(v)), wPrev: keepClone(v), g: tf.keep(tf.fill(v.shape, this.options.beta2)) };
    });
    for (const [name, left] of mine) this.parked.set(name, left);
    Object.assign(s, { names, h: next.map((x) => x.h), hPrev: next.map((x) => x.hPrev), wPrev: next.map((x) => x.wPrev), g: next.map((x) => x.g) });
  }

  dispose(): void {
    this.disposeState();
    this.disposeStep();
    this.disposeSigma();
  }

  private beforeStep(ctx: StepContext): void {
    this.disposeStep(); // a step that never reached afterStep (e.g. computeGradients only)
    const vars = ctx.variables;
    const s = this.state;
    this.disposeSigma();
    if (s) this.align(s, vars);
    this.wNow = vars.map(keepClone);
    this.sigmaNames = vars.map((v) => v.name);
    if (!s || s.t === 0) return; // the first step is unperturbed: σ = 0
    const { eta, gamma, beta2, epsilon } = this.options;
    const logEpoch = Math.log(1 + (ctx.epoch + 1));
    const wNow = this.wNow;
    const movedSquared = tf.keep(tf.tidy(() => addMany(wNow.map((w, j) => movedSquaredKernel([w, s.wPrev[j]], {})[0]))));
    this.sigmaInputs = { h: s.h, hPrev: s.hPrev, wPrev: s.wPrev, g: s.g, movedSquared, attrs: { eta, kappaScale: gamma / logEpoch, logEpoch, beta2, epsilon } };
  }

  private evaluate(oracle: GradientOracle, ctx: StepContext): GradientResult {
    const p = this.sigmaInputs;
    const result = p
      ? ctx.evaluateWith((w, j) => perturbedWeightsKernel([w, p.h[j], p.hPrev[j], p.wPrev[j], p.g[j], p.movedSquared], { ...p.attrs, seed: ctx.random.nextSeed() })[0], oracle)
      : oracle();
    // The first gradient of the step is g_{t+1}; a later plugin calling this oracle again (at
    // points of its own) reuses the step's σ and leaves the state alone.
    if (this.out === undefined) {
      this.out = this.sigmaNames.map((name) => {
        const g = result.grads[name];
        if (g === undefined) throw new Error(`pertopt: the wrapped oracle returned no gradient for "${name}"`);
        return keepClone(g);
      });
    }
    return result;
  }

  /** σ of the last step (zeros for an unperturbed one), from the inputs it was computed from. */
  private computeSigma(): tf.Tensor[] {
    const p = this.sigmaInputs;
    const weights = this.wNow ?? this.state?.wPrev ?? []; // after the step, its W_t is the state's W_{t−1}
    return tf.tidy(() => {
      if (!p) return weights.map((w) => tf.zerosLike(w));
      const moved = tf.sqrt(p.movedSquared);
      return p.h.map((_, j) => sigmaKernel([p.h[j], p.hPrev[j], p.wPrev[j], p.g[j], moved], p.attrs)[0]);
    }).map((x) => tf.keep(x));
  }

  private afterStep(): void {
    const out = this.out;
    const wNow = this.wNow;
    if (!out || !wNow) return;
    this.out = undefined;
    this.wNow = undefined;
    const { beta1 } = this.options;
    const prev = this.state;
    const h = tf.tidy(() => out.map((g, j) => secondMomentUpdate(prev ? prev.h[j] : tf.zerosLike(g), g, beta1)));
    const next: PertoptState = {
      t: (prev?.t ?? 0) + 1,
      names: [...this.sigmaNames],
      h: h.map((x) => tf.keep(x)),
      hPrev: prev ? prev.h : out.map((g) => tf.keep(tf.zerosLike(g))), // h_0 = 0
      wPrev: wNow,
      g: out,
    };
    // the last step's σ inputs stay readable (lastSigma) until the next step
    if (prev) this.retired.push(...prev.hPrev, ...prev.wPrev, ...prev.g);
    this.state = next;
    tf.dispose(this.tTensor);
    this.tTensor = tf.keep(tf.scalar(next.t, "int32"));
  }

  private disposeSigma(): void {
    tf.dispose([...(this.sigma ?? []), ...this.retired]);
    if (this.sigmaInputs) this.sigmaInputs.movedSquared.dispose();
    this.sigma = undefined;
    this.sigmaInputs = undefined;
    this.retired = [];
  }

  private disposeStep(): void {
    tf.dispose([...(this.wNow ?? []), ...(this.out ?? [])]);
    this.wNow = undefined;
    this.out = undefined;
  }

  private disposeState(): void {
    const s = this.state;
    if (s) tf.dispose([...s.h, ...s.hPrev, ...s.wPrev, ...s.g]);
    for (const p of this.parked.values()) tf.dispose([p.h, p.hPrev, p.wPrev, p.g]);
    this.parked.clear();
    tf.dispose(this.tTensor);
    this.state = undefined;
    this.tTensor = undefined;
  }
}
