/** What a comparison report shows: per method, per seed histories and evaluation summaries. */
import type { PairedDifference } from "./stats";

/** A figure over seeds: mean, sample standard deviation, and the values themselves. */
export interface Stat {
  mean: number;
  std: number;
  values: number[];
}

export function stat(values: number[]): Stat {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, values };
}

export interface EvalSummary {
  /** "float32", "8bit", … */
  variant: string;
  bits?: number;
  /** The quantization setup the variant belongs to (a name of `CompareReport.quantization`); absent for float32. */
  setup?: string;
  loss: Stat;
  metrics: Record<string, Stat>;
}

export interface LandscapeGrid {
  alphas: number[];
  betas: number[];
  /** values[i][j] = loss at W + alphas[j]·d1 + betas[i]·d2 */
  values: number[][];
}

export interface MethodResult {
  name: string;
  /** The plugin list this method ran with. */
  plugins: unknown[];
  seeds: number[];
  /** Epoch logs of each seed's run, as History records them. */
  histories: Array<Array<Record<string, number>>>;
  evaluation: EvalSummary[];
  secondsPerEpoch: Stat;
  /** Hessian trace at the end of training (if measured). */
  hessianTrace?: Stat;
  /** A loss-landscape slice around the final weights of the first seed (if measured). */
  landscape?: LandscapeGrid;
  /**
   * This method minus the baseline method, paired by seed, per column of the summary (keys as
   * `columns()` names them: "acc@float32", "acc@4bit", "hessianTrace", "pacgen", "secondsPerEpoch"); absent
   * for the baseline itself.
   */
  differences?: Record<string, PairedDifference>;
}

/** One way of quantizing the weights for evaluation, evaluated at each of its bit-widths. */
export interface QuantizationSetup {
  /** "" for the only setup of a comparison (variants "8bit", "4bit"); else variants are "4bit-<name>". */
  name: string;
  bits: number[];
  /** In words: "symmetric, per-tensor, kernels only, BatchNorm folded". */
  description: string;
}

export interface CompareReport {
  title: string;
  /** One line each: data set, model, optimizer, epochs… */
  setup: Record<string, string>;
  methods: MethodResult[];
  createdAt: string;
  machine: string;
  /** The metric the accuracy charts use (e.g. "acc"). */
  metric: string;
  /** The quantization setups, in the order of their columns (absent: variants as found). */
  quantization?: QuantizationSetup[];
  /** The method the others' `differences` are taken against. */
  baseline?: string;
}
