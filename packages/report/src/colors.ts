/**
 * Each method's color, the same on every chart of a report: one assignment, by the method's place
 * in `report.methods`, that every chart's color encoding takes its scale from.
 */
import type { CompareReport } from "./model";

/**
 * Vega's category10 (the charts' former default), then ten more chosen greedily from Tableau20,
 * category20b and Kelly's colors of maximum contrast to be as far (CIE76 ΔE) as possible from the
 * ones before: the 20 are pairwise ≥ 27 ΔE apart.
 */
export const METHOD_PALETTE: readonly string[] = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  "#000000", "#ffbb78", "#4b0082", "#637939", "#ff9896", "#98df8a", "#aec7e8", "#2b3d26", "#393b79", "#008856",
];

/** The i-th method's color: the palette, then hues a golden angle apart (distinct, if less so). */
export function paletteColor(i: number): string {
  if (i < METHOD_PALETTE.length) return METHOD_PALETTE[i];
  const k = i - METHOD_PALETTE.length;
  return `hsl(${((k * 137.508) % 360).toFixed(1)}, ${k % 2 ? 55 : 75}%, ${k % 3 === 0 ? 35 : k % 3 === 1 ? 50 : 65}%)`;
}

/** Method name → color, in the order of `report.methods` (a name listed twice keeps its first color). */
export function methodColors(r: Pick<CompareReport, "methods">): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of r.methods) if (!out.has(m.name)) out.set(m.name, paletteColor(out.size));
  return out;
}

/**
 * The color channel of a chart with a `method` field: the report's whole assignment as the scale
 * (so a method keeps its color whichever methods a chart shows) and a legend of the methods shown.
 */
export function methodColorEncoding(r: Pick<CompareReport, "methods">, shown: Iterable<string>, legend: Record<string, unknown> = {}): Record<string, unknown> {
  const colors = methodColors(r);
  const present = new Set(shown);
  return {
    field: "method",
    type: "nominal",
    title: "method",
    scale: { domain: [...colors.keys()], range: [...colors.values()] },
    legend: { values: [...colors.keys()].filter((n) => present.has(n)), ...legend },
  };
}
