/** The report page: one self-contained HTML file (inline CSS and SVG; no scripts, no network). */
import { accuracyVsBits, landscape, traceCurve, trainingCurves } from "./charts";
import type { CompareReport, Stat } from "./model";
import { toSvg } from "./render";

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export const pct = (s: Stat | undefined): string => (s ? `${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}` : "–");
export const num = (s: Stat | undefined, digits = 3): string => (s ? `${s.mean.toPrecision(digits)} ± ${s.std.toPrecision(2)}` : "–");

/** The variants (columns) in the order float32, then bit-widths from high to low. */
export function variants(r: CompareReport): string[] {
  const all = new Map<string, number>();
  for (const m of r.methods) for (const e of m.evaluation) all.set(e.variant, e.bits ?? 99);
  return [...all.entries()].sort((a, b) => b[1] - a[1]).map(([v]) => v);
}

/** The summary as rows of strings (also what the CLI prints). */
export function summaryRows(r: CompareReport): { header: string[]; rows: string[][] } {
  const vs = variants(r);
  const header = ["method", ...vs.map((v) => `${v} ${r.metric} (%)`), "tr H", "s / epoch"];
  const rows = r.methods.map((m) => [
    m.name,
    ...vs.map((v) => pct(m.evaluation.find((e) => e.variant === v)?.metrics[r.metric])),
    num(m.hessianTrace),
    num(m.secondsPerEpoch, 3),
  ]);
  return { header, rows };
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
        const vals = m.histories.map((h) => h[e]?.[key]).filter((v): v is number => typeof v === "number");
        return vals.length ? ((scale * vals.reduce((a, b) => a + b, 0)) / vals.length).toPrecision(4) : "–";
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

export async function renderReport(r: CompareReport): Promise<string> {
  const summary = summaryRows(r);
  const parts: string[] = [];
  parts.push(`<h1>${esc(r.title)}</h1><p class="meta">${esc(r.createdAt)} · ${esc(r.machine)}</p>`);
  parts.push(table(["setting", "value"], Object.entries(r.setup)));
  parts.push(`<h2>Summary (mean ± std over seeds)</h2>`, table(summary.header, summary.rows));

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

  const scapes = r.methods.filter((m) => m.landscape);
  if (scapes.length) {
    parts.push(`<h2>Loss landscape around the trained weights</h2>`);
    parts.push(`<p class="meta">Loss on the test data along two random filter-normalized directions (first seed of each method); the same directions' construction for every method.</p>`);
    const figs = await Promise.all(scapes.map(async (m) => `<figure class="chart" data-chart="landscape-${esc(m.name)}">${await toSvg(landscape(m)!)}</figure>`));
    parts.push(`<div class="grid">${figs.join("")}</div>`);
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${CSS}</style></head><body>${parts.join("\n")}</body></html>\n`;
}
