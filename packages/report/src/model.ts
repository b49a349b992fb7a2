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
  /** Test loss minus training-split loss of the final float32 model (if measured: the CLI's `trainLoss`). */
  lossGap?: Stat;
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

/**
 * A number as results.json may hold it: JSON has no NaN or Infinity (`JSON.stringify` writes them
 * as `null`), so `null`, a missing value and anything else that is not a number read back as NaN —
 * "not measured". The strings "NaN", "Infinity" and "-Infinity" are read as those numbers.
 */
function measured(x: unknown): number {
  if (typeof x === "number") return x;
  if (x === "NaN" || x === "Infinity" || x === "-Infinity") return Number(x);
  return NaN;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const numbers = (x: unknown): number[] => (Array.isArray(x) ? x.map(measured) : []);

function reviveStat(x: unknown): Stat | undefined {
  if (!isObject(x)) return undefined;
  return { mean: measured(x.mean), std: measured(x.std), values: numbers(x.values) };
}

function reviveRecord<T>(x: unknown, each: (v: unknown) => T | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  if (isObject(x))
    for (const [k, v] of Object.entries(x)) {
      const r = each(v);
      if (r !== undefined) out[k] = r;
    }
  return out;
}

function reviveDifference(x: unknown): PairedDifference | undefined {
  if (!isObject(x)) return undefined;
  const lo = x.lo === undefined ? undefined : measured(x.lo);
  const hi = x.hi === undefined ? undefined : measured(x.hi);
  return {
    n: measured(x.n),
    mean: measured(x.mean),
    std: measured(x.std),
    level: measured(x.level),
    ...(lo !== undefined ? { lo } : {}),
    ...(hi !== undefined ? { hi } : {}),
    distinguishable: x.distinguishable === true,
    values: numbers(x.values),
  };
}

const NOT_MEASURED: Stat = { mean: NaN, std: NaN, values: [] };

function reviveMethod(x: unknown, i: number): MethodResult {
  const m = isObject(x) ? x : {};
  const scape = isObject(m.landscape) ? m.landscape : undefined;
  const trace = reviveStat(m.hessianTrace);
  const out = {
    ...m,
    name: typeof m.name === "string" ? m.name : String(m.name ?? `method ${i + 1}`),
    plugins: Array.isArray(m.plugins) ? m.plugins : [],
    seeds: numbers(m.seeds),
    histories: Array.isArray(m.histories) ? m.histories.map((h) => (Array.isArray(h) ? h.map((logs) => reviveRecord(logs, measured)) : [])) : [],
    evaluation: Array.isArray(m.evaluation)
      ? m.evaluation.filter(isObject).map((e) => ({
          ...e,
          variant: String(e.variant),
          ...(e.bits === undefined || e.bits === null ? {} : { bits: measured(e.bits) }),
          loss: reviveStat(e.loss) ?? NOT_MEASURED,
          metrics: reviveRecord(e.metrics, reviveStat),
        }))
      : [],
    secondsPerEpoch: reviveStat(m.secondsPerEpoch) ?? NOT_MEASURED,
    hessianTrace: trace,
    lossGap: reviveStat(m.lossGap),
    landscape: scape && { alphas: numbers(scape.alphas), betas: numbers(scape.betas), values: Array.isArray(scape.values) ? scape.values.map(numbers) : [] },
    differences: isObject(m.differences) ? reviveRecord(m.differences, reviveDifference) : undefined,
  } as MethodResult;
  // no keys for what is absent: a whole report comes back deep-equal
  for (const k of ["hessianTrace", "lossGap", "landscape", "differences"] as const) if (out[k] === undefined) delete out[k];
  return out;
}

/**
 * A comparison report as read back from JSON (`JSON.parse` of the CLI's results.json), made whole:
 * every number that JSON could not hold (NaN, ±Infinity, written as `null`) or that is missing is
 * NaN again — "not measured", which the tables show as "–" and the charts leave out. A report that
 * is already whole comes back equal. `renderReport` and the table functions call it themselves.
 */
export function reviveReport(x: unknown): CompareReport {
  const r = isObject(x) ? x : {};
  return {
    ...r,
    title: String(r.title ?? "flatfit compare"),
    setup: reviveRecord(r.setup, (v) => (v === undefined || v === null ? undefined : String(v))),
    methods: Array.isArray(r.methods) ? r.methods.map(reviveMethod) : [],
    createdAt: String(r.createdAt ?? ""),
    machine: String(r.machine ?? ""),
    metric: String(r.metric ?? "acc"),
  } as CompareReport;
}

/** A results.json's text → the report it holds (see `reviveReport`). */
export function parseReport(json: string): CompareReport {
  return reviveReport(JSON.parse(json));
}

/**
 * A report → JSON text, as the CLI writes results.json: NaN and ±Infinity become `null` (JSON has
 * no other way to say it), which `parseReport` reads back as NaN, "not measured".
 */
export function stringifyReport(r: CompareReport): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n";
}
