import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { charts, METHOD_PALETTE, methodColors, paletteColor, renderReport, stat, toSvg, type CompareReport } from "@flatfit/report";
import { viewPage } from "@flatfit/testing/chromium";
import { report } from "./fixture";

const NAMES = ["sgd", "hero", "sam", "usam", "asam", "rsam", "wp-sgd", "nso", "pertopt", "seht", "grad-l1", "curvature"];

/** The fixture's two methods as twelve, each with its own accuracies and traces; the third logged no trace. */
function many(traces: (i: number, epoch: number) => number = (i, e) => (10 + 7 * i) * (1 + 0.3 * e)): CompareReport {
  return {
    ...report,
    methods: NAMES.map((name, i) => {
      const m = report.methods[i % 2];
      return {
        ...m,
        name,
        histories: m.histories.map((h) => h.map((logs, e) => ({ ...logs, loss: logs.loss * (1 + i / 10), ...(i === 2 ? { hessian_trace: NaN } : { hessian_trace: traces(i, e) }) }))),
        evaluation: m.evaluation.map((e, k) => ({ ...e, metrics: { acc: stat(e.metrics.acc.values.map((v) => v - 0.01 * i * k)) } })),
      };
    }),
  };
}

/** Per chart of a rendered page: method → the colors its lines, points, error bars and legend entry are drawn in. */
function colorsByChart(html: string): Map<string, Map<string, Set<string>>> {
  const out = new Map<string, Map<string, Set<string>>>();
  for (const [, name, svg] of html.matchAll(/data-chart="([^"]+)"><svg([\s\S]*?)<\/svg>/g)) {
    const colors = new Map<string, Set<string>>();
    const add = (method: string, color: string) => colors.set(method, (colors.get(method) ?? new Set()).add(color));
    for (const [, method, color] of svg.matchAll(/aria-label="[^"]*method: ([^";]+)[^"]*"[^>]*? (?:stroke|fill)="([^"]+)"/g)) add(method, color);
    for (const [, color, method] of svg.matchAll(/role-legend-symbol[^>]*><path [^>]*stroke="([^"]+)"[^>]*\/><\/g><g class="mark-text role-legend-label"[^>]*><text[^>]*>([^<]+)<\/text>/g)) add(method, color);
    if (colors.size) out.set(name, colors);
  }
  return out;
}

test("every method has one color, the same on every chart of the page, and twelve methods have twelve colors", async (t) => {
  const r = many();
  const html = await renderReport(r);
  const byChart = colorsByChart(html);
  t.deepEqual([...byChart.keys()], ["accuracy-vs-bits", "loss-per-epoch", "accuracy-per-epoch", "hessian-trace"]);
  const assigned = methodColors(r);
  for (const [chart, colors] of byChart)
    for (const [method, set] of colors) t.deepEqual([...set], [assigned.get(method)], `${method} on ${chart}`);
  // the trace chart lacks "sam" (it logged no trace) and still gives every other method its color
  t.false(byChart.get("hessian-trace")!.has("sam"));
  t.is(byChart.get("hessian-trace")!.size, NAMES.length - 1);
  t.is(byChart.get("accuracy-vs-bits")!.size, NAMES.length);
  t.is(new Set(assigned.values()).size, NAMES.length);
  // the specs say so too: one scale, the report's whole assignment, on every chart
  type Layer = { encoding: { color: { scale: { domain: string[]; range: string[] } } } };
  const specs = [charts.accuracyVsBits(r)!, ...charts.trainingCurves(r), charts.traceCurve(r)!] as Array<Layer & { layer?: Layer[] }>;
  for (const layer of specs.flatMap((s) => s.layer ?? [s])) t.deepEqual(layer.encoding.color.scale, { domain: NAMES, range: [...assigned.values()] });
});

/** sRGB hex → CIELAB (D65). */
function lab(hex: string): number[] {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v > 0.04045 ? ((v + 0.055) / 1.055) ** 2.4 : v / 12.92));
  const [x, y, z] = [(0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883];
  const f = (v: number) => (v > 0.008856 ? Math.cbrt(v) : 7.787 * v + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

test("the palette: 20 colors far apart (each pair at least 25 CIE76 ΔE apart), then distinct hues; the order of the methods decides", (t) => {
  t.is(METHOD_PALETTE.length, 20);
  for (let i = 0; i < 20; i++)
    for (let j = i + 1; j < 20; j++) {
      const [a, b] = [lab(METHOD_PALETTE[i]), lab(METHOD_PALETTE[j])];
      t.true(Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) >= 25, `${METHOD_PALETTE[i]} and ${METHOD_PALETTE[j]}`);
    }
  const forty = Array.from({ length: 40 }, (_, i) => paletteColor(i));
  t.is(new Set(forty).size, 40);
  const two = methodColors({ methods: [{ name: "b" }, { name: "a" }, { name: "b" }] as CompareReport["methods"] });
  t.deepEqual([...two.entries()], [["b", METHOD_PALETTE[0]], ["a", METHOD_PALETTE[1]]]);
});

/** The y positions of a chart's points and the height of its plot, from the SVG Vega renders. */
async function pointsY(spec: Record<string, unknown>): Promise<{ ys: number[]; height: number }> {
  const svg = await toSvg(spec);
  const height = Number(/class="background" aria-hidden="true" d="M0\.5,0\.5h\d+v(\d+)/.exec(svg)![1]);
  const ys = [...svg.matchAll(/aria-roledescription="point" transform="translate\([^,]+,([^)]+)\)"/g)].map((m) => Number(m[1]));
  return { ys, height };
}

const traceOf = (values: (i: number, e: number) => number) => charts.traceCurve({ ...many(values), methods: many(values).methods.slice(0, 4) })!;

for (const [name, values, type] of [
  ["traces from 10 to 100 (a decade): log", (i: number, e: number) => 10 * (1 + 3 * i) * (1 + 0.1 * e), "log"],
  ["traces from 40 to 60: linear over their range, not from 0", (i: number, e: number) => 40 + 5 * i + e, "linear"],
  ["estimates around 0, down to -3 and up to 400: symlog", (i: number, e: number) => [-3, 0.5, 40, 400][i] * (1 + 0.1 * e), "symlog"],
] as const)
  test(`the Hessian-trace axis is fitted to the data: ${name}, the points span the plot's height`, async (t) => {
    const spec = traceOf(values) as { encoding: { y: { scale: { type?: string } } } };
    t.is(spec.encoding.y.scale.type, type);
    const { ys, height } = await pointsY(spec);
    t.is(ys.length, 4 * 3 - 3, "3 methods with traces (the third logged none) × 3 epochs");
    t.true(Math.min(...ys) < 0.1 * height, `the highest point is near the top (${Math.min(...ys)} of ${height})`);
    t.true(Math.max(...ys) > 0.9 * height, `the lowest point is near the bottom (${Math.max(...ys)} of ${height})`);
  });

test("fittedScale: log when positive over more than a decade, symlog with a constant from the data when not positive; NaN ignored", (t) => {
  t.deepEqual(charts.fittedScale([50, 60, NaN, 45]), { type: "linear", zero: false });
  t.is(charts.fittedScale([5, 500]).type, "log");
  const s = charts.fittedScale([-2, 0, 3, 900]) as { type: string; constant: number; domain: number[] };
  t.is(s.type, "symlog");
  t.is(s.constant, 2, "the smallest nonzero |value|");
  t.true(s.domain[0] < -2 && s.domain[0] > -3 && s.domain[1] > 900 && s.domain[1] < 1300);
  t.deepEqual(charts.logTicks(8, 120), [10, 20, 50, 100]);
  t.deepEqual(charts.symlogTicks(-4, 600, 0.5), [-2, 0, 2, 10, 100, 500], "0, powers of ten, 2 and 5 times them, at least 1/8 of the axis apart");
});

test("accuracy vs bits with twelve methods: the legend below the plot, in columns, every method in it; the page renders in Chromium", async (t) => {
  const r = many();
  const svg = await toSvg(charts.accuracyVsBits(r)!);
  const plot = /class="background" aria-hidden="true" d="M0\.5,0\.5h(\d+)v(\d+)/.exec(svg)!.slice(1).map(Number);
  t.true(plot[0] >= 420, `the plot keeps its width (${plot[0]})`);
  const legend = /aria-roledescription="legend" aria-label="Symbol legend titled 'method'[^"]*"><g transform="translate\(([^,]+),([^)]+)\)"/.exec(svg)!;
  t.true(Number(legend[2]) > plot[1], "the legend is below the plot");
  const labels = [...svg.matchAll(/role-legend-label"[^>]*><text[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
  t.deepEqual(labels, NAMES);

  const dir = mkdtempSync(path.join(tmpdir(), "flatfit-report-many-"));
  const file = path.join(dir, "report.html");
  writeFileSync(file, await renderReport(r));
  const page = await viewPage(file);
  t.deepEqual(page.errors, []);
  for (const c of page.charts) t.true(c.marks > 0 && c.width > 100, `${c.name} rendered`);
});
