/** The report page: one self-contained HTML file (inline CSS and SVG; no scripts, no network). */
import { accuracyVsBits, landscape, traceCurve, trainingCurves } from "./charts";
import { reviveReport, stat, type CompareReport, type MethodResult, type Stat } from "./model";
import type { PairedDifference } from "./stats";
import { toSvg } from "./render";

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** What a table shows for a figure that was not measured (absent, NaN, or `null` in results.json). */
export const NOT_MEASURED = "–";

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
/** "± std", or nothing when the spread is not a number (e.g. it was lost in a results.json). */
const spread = (s: Stat, f: (x: number) => string): string => (finite(s.std) ? ` ± ${f(s.std)}` : "");

export const pct = (s: Stat | undefined): string => (s && finite(s.mean) ? `${(100 * s.mean).toFixed(2)}${spread(s, (x) => (100 * x).toFixed(2))}` : NOT_MEASURED);
export const num = (s: Stat | undefined, digits = 3): string => (s && finite(s.mean) ? `${s.mean.toPrecision(digits)}${spread(s, (x) => x.toPrecision(2))}` : NOT_MEASURED);

/** The variants (columns): float32, then each quantization setup's bit-widths from high to low. */
export function variants(r: CompareReport): string[] {
  const setups = r.quantization?.map((q) => q.name) ?? [];
  const all = new Map<string, { setup: number; bits: number; seen: number }>();
  for (const m of r.methods)
    for (const e of m.evaluation) {
      if (all.has(e.variant)) continue;
      const index = e.setup === undefined ? 0 : setups.indexOf(e.setup);
      all.set(e.variant, { setup: e.variant === "float32" ? -1 : index < 0 ? setups.length : index, bits: e.bits ?? 99, seen: all.size });
    }
  return [...all.entries()].sort(([, a], [, b]) => a.setup - b.setup || b.bits - a.bits || a.seen - b.seen).map(([v]) => v);
}

/** One column of the summary: its key (as in `MethodResult.differences`), header, cell and difference cell. */
export interface Column {
  key: string;
  header: string;
  /** The column's numbers of one method (over seeds). */
  stat(m: MethodResult): Stat | undefined;
  cell(s: Stat | undefined): string;
  /** A difference in the column's unit: "+1.23" (accuracy in percentage points). */
  diff(x: number): string;
  /** The unit of a difference, in words ("points" for accuracies). */
  unit: string;
}

const signed = (x: number, digits: number): string => (x > 0 ? "+" : x < 0 ? "-" : "") + Math.abs(x).toFixed(digits);
const signedAuto = (x: number): string => signed(x, Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);

/**
 * Epoch-log figures the summary shows as columns when a run logged them: the value of the last
 * epoch that measured it (NaN epochs skipped), mean ± std over seeds. `pacgen` is what the
 * curvature plugin logs with `measures: [..., "pacGen"]` (PertOPT's PAC-Bayes metric).
 */
export const EPOCH_LOG_COLUMNS: ReadonlyArray<{ key: string; header: string }> = [{ key: "pacgen", header: "pacGen" }];

/** A method's final value of an epoch-log key over its seeds, or undefined unless every seed logged it. */
export function finalEpochStat(m: MethodResult, key: string): Stat | undefined {
  const last = m.histories.map((h) => {
    for (let e = h.length - 1; e >= 0; e--) {
      const v = h[e]?.[key];
      if (typeof v === "number" && Number.isFinite(v)) return v;
    }
    return undefined;
  });
  return last.length > 0 && last.every((v): v is number => v !== undefined) ? stat(last) : undefined;
}

/**
 * The summary's columns: the metric per variant, then the Hessian trace (when some method has one),
 * the test−train loss gap (likewise), the epoch-log figures of `EPOCH_LOG_COLUMNS` that some method
 * logged (e.g. pacGen), and seconds per epoch.
 */
export function columns(r: CompareReport): Column[] {
  const metric = r.metric;
  const logged = EPOCH_LOG_COLUMNS.filter((c) => r.methods.some((m) => finalEpochStat(m, c.key) !== undefined));
  return [
    ...variants(r).map((v) => ({
      key: `${metric}@${v}`,
      header: `${v} ${metric} (%)`,
      stat: (m: MethodResult) => m.evaluation.find((e) => e.variant === v)?.metrics[metric],
      cell: pct,
      diff: (x: number) => signed(100 * x, 2),
      unit: "points",
    })),
    ...(r.methods.some((m) => m.hessianTrace !== undefined) ? [{ key: "hessianTrace", header: "tr H", stat: (m: MethodResult) => m.hessianTrace, cell: (s: Stat | undefined) => num(s), diff: signedAuto, unit: "" }] : []),
    ...(r.methods.some((m) => m.lossGap) ? [{ key: "lossGap", header: "test−train loss", stat: (m: MethodResult) => m.lossGap, cell: (s: Stat | undefined) => num(s, 4), diff: signedAuto, unit: "" }] : []),
    ...logged.map((c) => ({ key: c.key, header: c.header, stat: (m: MethodResult) => finalEpochStat(m, c.key), cell: (s: Stat | undefined) => num(s, 4), diff: signedAuto, unit: "" })),
    { key: "secondsPerEpoch", header: "s / epoch", stat: (m: MethodResult) => m.secondsPerEpoch, cell: (s: Stat | undefined) => num(s, 3), diff: signedAuto, unit: "s" },
  ];
}

/** The summary as rows of strings (also what the CLI prints). */
export function summaryRows(report: CompareReport): { header: string[]; rows: string[][] } {
  const r = reviveReport(report);
  const cols = columns(r);
  const header = ["method", ...cols.map((c) => c.header)];
  const rows = r.methods.map((m) => [m.name, ...cols.map((c) => c.cell(c.stat(m)))]);
  return { header, rows };
}

/**
 * "+1.17 [-0.52, +2.86]", with " *" when the interval excludes 0; the mean alone without an
 * interval; "(n = 2)" when fewer seeds than the table's have a value on both sides.
 */
function differenceCell(c: Column, d: PairedDifference | undefined, n: number): string {
  if (!d || !(d.n > 0) || !finite(d.mean)) return NOT_MEASURED;
  const fewer = d.n < n ? ` (n = ${d.n})` : "";
  if (!finite(d.lo) || !finite(d.hi)) return c.diff(d.mean) + fewer;
  return `${c.diff(d.mean)} [${c.diff(d.lo)}, ${c.diff(d.hi)}]${fewer}${d.distinguishable ? " *" : ""}`;
}

/** Pairs per difference (the seeds both runs have), when every difference has the same number. */
function pairCount(r: CompareReport): number {
  const ns = r.methods.flatMap((m) => Object.values(m.differences ?? {}).map((d) => d.n)).filter(finite);
  return ns.length ? Math.max(...ns) : 0;
}

/**
 * Each method's paired difference to the baseline, per column: mean [95% interval], "*" where the
 * interval excludes 0. Undefined without a baseline or with fewer than two seeds.
 */
export function differenceRows(report: CompareReport): { header: string[]; rows: string[][]; legend: string } | undefined {
  const r = reviveReport(report);
  if (r.baseline === undefined || pairCount(r) < 2) return undefined;
  const cols = columns(r);
  const level = r.methods.flatMap((m) => Object.values(m.differences ?? {}))[0]?.level ?? 0.95;
  const header = ["method", ...cols.map((c) => `Δ ${c.header.replace("(%)", "(points)")}`)];
  const n = pairCount(r);
  const rows = r.methods.filter((m) => m.name !== r.baseline).map((m) => [m.name, ...cols.map((c) => differenceCell(c, m.differences?.[c.key], n))]);
  const legend =
    `difference to ${r.baseline}, paired by seed: mean over ${n} seeds [${Math.round(100 * level)}% confidence interval, Student t with ${n - 1} degree${n === 2 ? "" : "s"} of freedom]; ` +
    `* = the interval excludes 0` +
    (rows.some((row) => row.some((cell) => cell.includes("(n = "))) ? "; (n = k): only k seeds have a value on both sides" : "");
  return { header, rows, legend };
}

/**
 * The difference table in words: which intervals exclude 0 (with their numbers) and that the
 * others do not. Nothing beyond what the table shows.
 */
export function differenceSummary(report: CompareReport): string | undefined {
  const r = reviveReport(report);
  if (r.baseline === undefined || pairCount(r) < 2) return undefined;
  const cols = columns(r);
  const n = pairCount(r);
  const found: string[] = [];
  let total = 0;
  for (const m of r.methods) {
    if (m.name === r.baseline) continue;
    for (const c of cols) {
      const d = m.differences?.[c.key];
      if (!d || !finite(d.mean) || !finite(d.lo) || !finite(d.hi)) continue;
      total++;
      if (!d.distinguishable) continue;
      const unit = c.unit ? ` ${c.unit}` : "";
      const side = d.mean > 0 ? "higher" : "lower";
      const fewer = d.n < n ? `, over ${d.n} seeds` : "";
      found.push(`${m.name}'s ${c.header.replace(" (%)", "")} is ${side} than ${r.baseline}'s by ${c.diff(Math.abs(d.mean)).replace("+", "")}${unit} (interval ${c.diff(d.lo)} to ${c.diff(d.hi)}${fewer})`);
    }
  }
  const level = Math.round(100 * (r.methods.flatMap((m) => Object.values(m.differences ?? {}))[0]?.level ?? 0.95));
  const head = `Each method is compared with ${r.baseline} seed by seed (the same seed gives both the same data order, noise draws and initial weights), over ${n} seeds, with a ${level}% confidence interval for the mean difference.`;
  if (found.length === 0) return `${head} None of the ${total} intervals excludes 0: with ${n} seeds, no difference to ${r.baseline} in this table is distinguishable from zero.`;
  const rest = total - found.length;
  return (
    `${head} ${found.length} of ${total} intervals exclude 0 (marked *): ${found.join("; ")}.` +
    (rest === 1 ? ` The other interval contains 0: with ${n} seeds that difference is not distinguishable from zero.` : rest > 1 ? ` The other ${rest} intervals contain 0: with ${n} seeds those differences are not distinguishable from zero.` : "")
  );
}

function table(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

async function figure(name: string, spec: Record<string, unknown> | undefined, side: string): Promise<string> {
  if (!spec) return "";
  return `<section class="pair"><figure class="chart" data-chart="${esc(name)}">${await toSvg(spec)}</figure><div class="numbers">${side}</div></section>`;
}

function curveTable(r: CompareReport, key: string, scale = 1): string {
  const epochs = Math.max(0, ...r.methods.flatMap((m) => m.histories.map((h) => h.length)));
  const header = ["epoch", ...r.methods.map((m) => m.name)];
  const rows: string[][] = [];
  for (let e = 0; e < epochs; e++) {
    rows.push([
      String(e + 1),
      ...r.methods.map((m) => {
        const vals = m.histories.map((h) => h[e]?.[key]).filter(finite);
        return vals.length ? ((scale * vals.reduce((a, b) => a + b, 0)) / vals.length).toPrecision(4) : NOT_MEASURED;
      }),
    ]);
  }
  return table(header, rows);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
.meta{color:#666} table{border-collapse:collapse;margin:.6rem 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:right} th:first-child,td:first-child{text-align:left}
th{background:#f5f5f7} .pair{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
figure{margin:0} .numbers{flex:1;min-width:280px;overflow-x:auto} .grid{display:flex;flex-wrap:wrap;gap:1rem}
`;

/**
 * The page of a report — as built by the CLI, or as read back from its results.json (`JSON.parse`
 * or `parseReport`): values JSON wrote as `null` are "not measured" ("–" in tables, gaps in charts).
 */
export async function renderReport(report: CompareReport): Promise<string> {
  const r = reviveReport(report);
  const summary = summaryRows(r);
  const parts: string[] = [];
  parts.push(`<h1>${esc(r.title)}</h1><p class="meta">${esc(r.createdAt)} · ${esc(r.machine)}</p>`);
  parts.push(table(["setting", "value"], Object.entries(r.setup)));
  parts.push(`<h2>Summary (mean ± std over seeds)</h2>`, table(summary.header, summary.rows));
  const diff = differenceRows(r);
  if (diff) {
    parts.push(`<h2>Differences to ${esc(r.baseline!)} (paired by seed)</h2>`, `<p class="meta">${esc(diff.legend)}</p>`, table(diff.header, diff.rows));
    parts.push(`<p class="words" data-words="differences">${esc(differenceSummary(r)!)}</p>`);
  }

  parts.push(`<h2>Accuracy vs quantization bit-width</h2>`);
  parts.push(await figure("accuracy-vs-bits", accuracyVsBits(r), table(summary.header.slice(0, -2), summary.rows.map((row) => row.slice(0, -2)))));

  parts.push(`<h2>Training curves</h2>`);
  const [lossSpec, accSpec] = trainingCurves(r);
  parts.push(await figure("loss-per-epoch", lossSpec, curveTable(r, "loss")));
  parts.push(await figure("accuracy-per-epoch", accSpec, curveTable(r, `val_${r.metric}`, 100)));

  const trace = traceCurve(r);
  if (trace) {
    parts.push(`<h2>Hessian trace</h2>`);
    parts.push(await figure("hessian-trace", trace, curveTable(r, "hessian_trace")));
  }

  const scapes = r.methods.flatMap((m) => {
    const spec = landscape(m);
    return spec ? [{ m, spec }] : [];
  });
  if (scapes.length) {
    parts.push(`<h2>Loss landscape around the trained weights</h2>`);
    parts.push(`<p class="meta">Loss on the test data along two random filter-normalized directions (first seed of each method); the same directions' construction for every method.</p>`);
    const figs = await Promise.all(scapes.map(async ({ m, spec }) => `<figure class="chart" data-chart="landscape-${esc(m.name)}">${await toSvg(spec)}</figure>`));
    parts.push(`<div class="grid">${figs.join("")}</div>`);
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${CSS}</style></head><body>${parts.join("\n")}</body></html>\n`;
}
