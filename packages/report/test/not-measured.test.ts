import test from "ava";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { charts, differenceRows, parseReport, renderReport, stat, stringifyReport, summaryRows, type CompareReport } from "@flatfit/report";
import { viewPage } from "@flatfit/testing/chromium";
import { report } from "./fixture";

/**
 * The fixture after a run in which hero's Hessian trace was not measured (every probe rejected:
 * NaN), plain's 4-bit accuracy is NaN on both seeds, one epoch of plain's trace log is NaN and one
 * landscape cell is NaN; with paired differences whose 4-bit entry is NaN.
 */
const unmeasured: CompareReport = {
  ...report,
  baseline: "plain",
  methods: report.methods.map((m, i) => ({
    ...m,
    ...(i === 1
      ? {
          hessianTrace: stat([NaN, NaN]),
          differences: {
            "acc@float32": { n: 2, mean: 0.01, std: 0, level: 0.95, lo: 0.01, hi: 0.01, distinguishable: true, values: [0.01, 0.01] },
            "acc@4bit": { n: 2, mean: NaN, std: NaN, level: 0.95, lo: NaN, hi: NaN, distinguishable: false, values: [NaN, NaN] },
          },
        }
      : {
          evaluation: m.evaluation.map((e) => (e.variant === "4bit" ? { ...e, metrics: { acc: stat([NaN, NaN]) } } : e)),
          histories: m.histories.map((h) => h.map((logs, e) => (e === 1 ? { ...logs, hessian_trace: NaN } : logs))),
        }),
    landscape: m.landscape && { ...m.landscape, values: m.landscape.values.map((row, r) => row.map((v, c) => (r === 0 && c === 0 ? NaN : v))) },
  })),
};

/** results.json as `flatfit compare` writes it (`JSON.stringify(report, null, 2)`): NaN is `null`. */
function writeResults(r: CompareReport): string {
  const dir = mkdtempSync(path.join(tmpdir(), "flatfit-results-"));
  const file = path.join(dir, "results.json");
  writeFileSync(file, JSON.stringify(r, null, 2) + "\n");
  return file;
}

test("a NaN in results.json is written as null, read back as NaN, and a whole report survives the round trip unchanged", (t) => {
  const text = readFileSync(writeResults(unmeasured), "utf8");
  t.is(stringifyReport(unmeasured), text, "stringifyReport writes what the CLI writes");
  t.regex(text, /"hessianTrace": \{\s*"mean": null/);
  const back = parseReport(text);
  t.true(Number.isNaN(back.methods[1].hessianTrace!.mean));
  t.deepEqual(back.methods[1].hessianTrace!.values.map(Number.isNaN), [true, true]);
  t.true(Number.isNaN(back.methods[0].histories[0][1].hessian_trace));
  t.true(Number.isNaN(back.methods[1].differences!["acc@4bit"].lo!));
  t.deepEqual(parseReport(JSON.stringify(report)), report);
});

test("re-rendering from a results.json with a NaN Hessian trace: no crash, '–' in the tables, never NaN or null", async (t) => {
  const file = writeResults(unmeasured);
  // the re-rendering path: the parsed file straight into renderReport (and through parseReport)
  const html = await renderReport(JSON.parse(readFileSync(file, "utf8")) as CompareReport);
  // (Vega numbers its gradients in the order the landscapes finish rendering)
  const same = (page: string): string => page.replace(/gradient_\d+/g, "gradient");
  t.is(same(await renderReport(parseReport(readFileSync(file, "utf8")))), same(html));
  t.is(same(html), same(await renderReport(unmeasured)), "the same page as from the report in memory");

  const { header, rows } = summaryRows(JSON.parse(readFileSync(file, "utf8")) as CompareReport);
  t.is(rows[1][header.indexOf("tr H")], "–");
  t.is(rows[0][header.indexOf("4bit acc (%)")], "–");
  t.is(rows[0][header.indexOf("tr H")], "42.0 ± 2.8");
  const diff = differenceRows(JSON.parse(readFileSync(file, "utf8")) as CompareReport)!;
  t.is(diff.rows[0][diff.header.indexOf("Δ 4bit acc (points)")], "–");
  t.is(diff.rows[0][diff.header.indexOf("Δ float32 acc (points)")], "+1.00 [+1.00, +1.00] *");

  const out = path.join(path.dirname(file), "report.html");
  writeFileSync(out, html);
  const page = await viewPage(out);
  t.true(page.ok);
  t.deepEqual(page.errors, []);
  t.deepEqual(
    page.charts.map((c) => c.name),
    ["accuracy-vs-bits", "loss-per-epoch", "accuracy-per-epoch", "hessian-trace", "landscape-plain", "landscape-hero"],
  );
  for (const c of page.charts) t.true(c.marks > 0 && c.width > 100, `${c.name} rendered`);
  for (const table of page.tables) t.notRegex(table, /NaN|null|undefined/);
  t.notRegex(html, /NaN|Infinity/);
});

test("charts leave a value that was not measured out: a gap in the line, no error bar, an empty landscape cell", (t) => {
  const r = parseReport(JSON.stringify(unmeasured));
  const acc = charts.accuracyVsBits(r)! as { layer: Array<{ data: { values: Array<Record<string, unknown>> } }> };
  const plain4 = acc.layer[0].data.values.find((p) => p.method === "plain" && p.label === "4")!;
  t.is(plain4.mean, null, "a null in the line's data breaks the line");
  t.false(acc.layer[1].data.values.some((p) => p.method === "plain" && p.label === "4"), "no error bar");
  const trace = charts.traceCurve(r)! as { data: { values: Array<{ method: string; epoch: number }> } };
  t.deepEqual(trace.data.values.filter((p) => p.method === "plain").map((p) => p.epoch), [1, 3], "plain's epoch 2 trace (NaN on every seed) is left out");
  const scape = charts.landscape(r.methods[0])! as { data: { values: unknown[] } };
  t.is(scape.data.values.length, 24, "25 cells, one not measured");
});
