/**
 * The report's charts as Vega-Lite specs — the papers' own figures: accuracy vs quantization
 * bit-width per method (HERO Fig. 1), training curves, Hessian trace over epochs, and a
 * loss-landscape slice per method (HERO Fig. 3).
 */
import { methodColorEncoding } from "./colors";
import type { CompareReport, MethodResult } from "./model";

type Spec = Record<string, unknown>;
const WIDTH = 420;
const HEIGHT = 260;
const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/**
 * A y scale that the values fill: linear over their range when they are positive and within a
 * factor 10 of each other, log when positive and wider apart, and otherwise (zero or negative
 * values, as an estimate from few probes can be) symlog, linear within ±constant, the constant the
 * smallest nonzero |value| (at least 1/1000 of the largest). The domain is the values' range, 3%
 * padded in the scale's own terms; NaN and ±Infinity are ignored.
 */
export function fittedScale(values: number[]): Record<string, unknown> {
  const v = values.filter(finite);
  if (v.length === 0) return { zero: false };
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  if (lo > 0 && hi / lo < 10) return { type: "linear", zero: false };
  if (lo > 0) {
    const pad = (hi / lo) ** 0.03;
    return { type: "log", domain: [lo / pad, hi * pad], nice: false };
  }
  const abs = v.map(Math.abs).filter((x) => x > 0);
  if (abs.length === 0) return { zero: false };
  const top = Math.max(...abs);
  const constant = Math.min(top, Math.max(Math.min(...abs), top / 1000));
  const to = (x: number): number => Math.sign(x) * Math.log1p(Math.abs(x) / constant);
  const from = (y: number): number => Math.sign(y) * constant * Math.expm1(Math.abs(y));
  const pad = 0.03 * (to(hi) - to(lo) || 1);
  return { type: "symlog", constant, domain: [from(to(lo) - pad), from(to(hi) + pad)], nice: false };
}

/** Mean of a logged key over a method's seeds, per epoch. */
function curve(m: MethodResult, key: string): Array<{ epoch: number; value: number }> {
  const epochs = Math.max(0, ...m.histories.map((h) => h.length));
  const out: Array<{ epoch: number; value: number }> = [];
  for (let e = 0; e < epochs; e++) {
    const vals = m.histories.map((h) => h[e]?.[key]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    if (vals.length) out.push({ epoch: e + 1, value: vals.reduce((a, b) => a + b, 0) / vals.length });
  }
  return out;
}

/**
 * One line per method — and per quantization setup when there are several (dashed by setup) —
 * from float32 down to the lowest bit-width; error bars are ± std over seeds.
 */
export function accuracyVsBits(r: CompareReport): Spec | undefined {
  const setups = r.quantization?.length ? r.quantization.map((q) => q.name) : [undefined];
  const several = setups.length > 1;
  // a variant whose accuracy was not measured (NaN; null in results.json) is a gap in its line
  const rows = r.methods.flatMap((m) =>
    m.evaluation
      .filter((e) => e.metrics[r.metric])
      .flatMap((e) => {
        const s = e.metrics[r.metric];
        const ok = finite(s.mean);
        const spread = ok && finite(s.std);
        const point = {
          method: m.name,
          bits: e.bits ?? 32,
          label: e.variant === "float32" ? "fp32" : `${e.bits}`,
          mean: ok ? 100 * s.mean : null,
          lo: spread ? 100 * (s.mean - s.std) : null,
          hi: spread ? 100 * (s.mean + s.std) : null,
        };
        // float32 starts every setup's line
        const owners = e.variant === "float32" ? setups : [e.setup];
        return owners.map((setup) => ({ ...point, setup: setup ?? "" }));
      }),
  );
  if (!rows.some((x) => x.bits !== 32)) return undefined;
  const order = [...new Set([...rows].sort((a, b) => b.bits - a.bits).map((x) => x.label))];
  const x = { field: "label", type: "ordinal", sort: order, title: "weight bit-width", axis: { labelAngle: 0 } };
  const dash = several ? { strokeDash: { field: "setup", type: "nominal", title: "quantization", legend: { symbolType: "stroke", symbolStrokeWidth: 2, encode: { symbols: { update: { stroke: { value: "#444" } } } } } } } : {};
  // many methods: the legend goes below the plot in columns, so that the plot keeps its width
  const shown = [...new Set(rows.filter((p) => p.mean !== null).map((p) => p.method))];
  const many = shown.length > 6;
  const color = methodColorEncoding(r, shown, many ? { orient: "bottom", direction: "horizontal", columns: 4, labelLimit: 200, symbolType: "stroke", symbolStrokeWidth: 3 } : { symbolType: "stroke", symbolStrokeWidth: 3 });
  return {
    title: `Test accuracy after post-training quantization`,
    width: many ? 560 : WIDTH,
    height: many ? 320 : HEIGHT,
    layer: [
      {
        data: { values: rows },
        mark: { type: "line", point: true, invalid: "break-paths-filter-domains", strokeWidth: many ? 1.5 : 2 },
        encoding: { x, y: { field: "mean", type: "quantitative", title: "test accuracy (%)", scale: { zero: false } }, color, ...dash },
      },
      {
        data: { values: rows.filter((p) => p.lo !== null && p.hi !== null) },
        mark: { type: "errorbar", ...(many ? { opacity: 0.6 } : {}) },
        encoding: { x, y: { field: "lo", type: "quantitative", title: "test accuracy (%)" }, y2: { field: "hi" }, color, ...(several ? { detail: { field: "setup" } } : {}) },
      },
    ],
  };
}

/** One line per method of a logged key over epochs (scaled by `scale`), or undefined when nothing was logged. */
/** Ticks of a log axis over [lo, hi]: 1, 2, 5 times powers of ten (1 and 3 once the decades are many). */
export function logTicks(lo: number, hi: number): number[] {
  const steps = Math.log10(hi / lo) > 3 ? [1] : Math.log10(hi / lo) > 1.5 ? [1, 3] : [1, 2, 5];
  const out: number[] = [];
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++)
    for (const s of steps) {
      const v = Number((s * 10 ** p).toPrecision(12));
      if (v >= lo && v <= hi) out.push(v);
    }
  return out;
}

/**
 * Ticks of a symlog axis over [lo, hi] with the given constant: 0, then powers of ten, then 2 and 5
 * times them (either sign), each kept when it is at least 1/8 of the axis away from those kept.
 */
export function symlogTicks(lo: number, hi: number, constant: number): number[] {
  const to = (x: number): number => Math.sign(x) * Math.log1p(Math.abs(x) / constant);
  const gap = (to(hi) - to(lo)) / 8;
  const top = Math.max(Math.abs(lo), Math.abs(hi));
  const candidates: number[] = [0];
  for (const s of [1, 2, 5])
    for (let p = Math.floor(Math.log10(constant)) - 1; p <= Math.ceil(Math.log10(top)); p++) {
      const v = Number((s * 10 ** p).toPrecision(12));
      candidates.push(v, -v);
    }
  const kept: number[] = [];
  for (const v of candidates) if (v >= lo && v <= hi && kept.every((k) => Math.abs(to(k) - to(v)) >= gap)) kept.push(v);
  return kept.sort((a, b) => a - b);
}

/** The y channel of a chart whose axis is fitted to its values (`fittedScale`), log and symlog axes with their ticks. */
function fittedY(values: number[]): Record<string, unknown> {
  const scale = fittedScale(values);
  const domain = scale.domain as number[] | undefined;
  if (scale.type === "log" && domain) return { scale, axis: { values: logTicks(domain[0], domain[1]) } };
  if (scale.type === "symlog" && domain) return { scale, axis: { values: symlogTicks(domain[0], domain[1], scale.constant as number) } };
  return { scale };
}

function perEpoch(r: CompareReport, key: string, title: string, yTitle: string, y: (values: number[]) => Record<string, unknown>, scale = 1): Spec | undefined {
  const rows = r.methods.flatMap((m) => curve(m, key).map((p) => ({ method: m.name, epoch: p.epoch, value: scale * p.value })));
  if (rows.length === 0) return undefined;
  const shown = [...new Set(rows.map((p) => p.method))];
  return {
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
      y: { field: "value", type: "quantitative", title: yTitle, ...y(rows.map((p) => p.value)) },
      color: methodColorEncoding(r, shown, { symbolType: "stroke", symbolStrokeWidth: 3, ...(shown.length > 6 ? { orient: "bottom", direction: "horizontal", columns: 4, labelLimit: 200 } : {}) }),
    },
  };
}

export function trainingCurves(r: CompareReport): Spec[] {
  return [
    perEpoch(r, "loss", "Training loss per epoch", "training loss", () => ({ scale: { zero: false } })),
    perEpoch(r, `val_${r.metric}`, "Validation accuracy (%) per epoch", "validation accuracy (%)", () => ({ scale: { zero: false } }), 100),
  ].filter((s): s is Spec => s !== undefined);
}

export function traceCurve(r: CompareReport): Spec | undefined {
  // the axis fitted to the values: an estimate from few probes can be negative, traces span decades
  return perEpoch(r, "hessian_trace", "Hessian trace per epoch (Hutchinson, validation data)", "tr H", fittedY);
}

export function landscape(m: MethodResult): Spec | undefined {
  const g = m.landscape;
  if (!g) return undefined;
  // a loss that was not measured (or not positive, which a log color scale cannot show) is an empty cell
  const rows = g.values.flatMap((row, i) => row.map((loss, j) => ({ alpha: g.alphas[j], beta: g.betas[i], loss }))).filter((p) => finite(p.loss) && p.loss > 0);
  if (rows.length === 0) return undefined;
  return {
    title: `${m.name}: loss around the trained weights`,
    width: 220,
    height: 220,
    data: { values: rows },
    mark: { type: "rect" },
    encoding: {
      x: { field: "alpha", type: "ordinal", title: "direction 1", axis: { labelAngle: 0, values: [g.alphas[0], 0, g.alphas[g.alphas.length - 1]] } },
      y: { field: "beta", type: "ordinal", title: "direction 2", sort: "descending", axis: { values: [g.betas[0], 0, g.betas[g.betas.length - 1]] } },
      color: { field: "loss", type: "quantitative", scale: { type: "log", scheme: "viridis" }, title: "loss" },
    },
  };
}
