/**
 * The report's charts as Vega-Lite specs — the papers' own figures: accuracy vs quantization
 * bit-width per method (HERO Fig. 1), training curves, Hessian trace over epochs, and a
 * loss-landscape slice per method (HERO Fig. 3).
 */
import type { CompareReport, MethodResult } from "./model";

type Spec = Record<string, unknown>;
const WIDTH = 420;
const HEIGHT = 260;
const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

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
  const x = { field: "label", type: "ordinal", sort: order, title: "weight bit-width" };
  const dash = several ? { strokeDash: { field: "setup", type: "nominal", title: "quantization", legend: { symbolType: "stroke", symbolStrokeWidth: 2, encode: { symbols: { update: { stroke: { value: "#444" } } } } } } } : {};
  return {
    title: `Test accuracy after post-training quantization`,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      { data: { values: rows }, mark: { type: "line", point: true, invalid: "break-paths-filter-domains" }, encoding: { x, y: { field: "mean", type: "quantitative", title: "test accuracy (%)", scale: { zero: false } }, color: { field: "method", type: "nominal" }, ...dash } },
      { data: { values: rows.filter((p) => p.lo !== null && p.hi !== null) }, mark: { type: "errorbar" }, encoding: { x, y: { field: "lo", type: "quantitative", title: "test accuracy (%)" }, y2: { field: "hi" }, color: { field: "method", type: "nominal" }, ...(several ? { detail: { field: "setup" } } : {}) } },
    ],
  };
}

/** One line per method of a logged key over epochs (scaled by `scale`), or undefined when nothing was logged. */
function perEpoch(r: CompareReport, key: string, title: string, yTitle: string, yScale: Record<string, unknown>, scale = 1): Spec | undefined {
  const rows = r.methods.flatMap((m) => curve(m, key).map((p) => ({ method: m.name, epoch: p.epoch, value: scale * p.value })));
  if (rows.length === 0) return undefined;
  return {
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
      y: { field: "value", type: "quantitative", title: yTitle, scale: yScale },
      color: { field: "method", type: "nominal" },
    },
  };
}

export function trainingCurves(r: CompareReport): Spec[] {
  return [
    perEpoch(r, "loss", "Training loss per epoch", "training loss", { zero: false }),
    perEpoch(r, `val_${r.metric}`, "Validation accuracy (%) per epoch", "validation accuracy (%)", { zero: false }, 100),
  ].filter((s): s is Spec => s !== undefined);
}

export function traceCurve(r: CompareReport): Spec | undefined {
  // symlog: an estimate from few probes can be negative
  return perEpoch(r, "hessian_trace", "Hessian trace per epoch (Hutchinson, validation data)", "tr H", { type: "symlog" });
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
