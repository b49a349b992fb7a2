import test from "ava";
import { columns, finalEpochStat, summaryRows, type CompareReport } from "@flatfit/report";
import { report } from "./fixture";

/** The fixture with `pacgen` logged by every seed of every method (NaN on unmeasured epochs). */
function withPacGen(values: (method: number, seed: number) => number[] | undefined): CompareReport {
  return {
    ...report,
    methods: report.methods.map((m, i) => ({
      ...m,
      histories: m.histories.map((h, s) => {
        const v = values(i, s);
        return h.map((logs, e) => (v ? { ...logs, pacgen: v[e] ?? NaN } : logs));
      }),
    })),
  };
}

test("pacGen column: shown when the runs logged `pacgen` (curvature plugin, measures pacGen), the last measured epoch's value, mean ± std over seeds", (t) => {
  const epochs = report.methods[0].histories[0].length;
  // seed 0 logs 10 + method, seed 1 logs 12 + method, at the last epoch; the epoch before is NaN (not measured)
  const r = withPacGen((i, s) => Array.from({ length: epochs }, (_, e) => (e === epochs - 1 ? 10 + 2 * s + i : e === epochs - 2 ? NaN : 99)));
  const { header, rows } = summaryRows(r);
  t.deepEqual(header.slice(-3), ["tr H", "pacGen", "s / epoch"]);
  const col = header.indexOf("pacGen");
  // method 0: 10 and 12 → 11.00 ± √2
  t.is(rows[0][col], `${(11).toPrecision(4)} ± ${Math.SQRT2.toPrecision(2)}`);
  t.deepEqual(finalEpochStat(r.methods[1], "pacgen")?.values, [11, 13]);
  t.true(columns(r).some((c) => c.key === "pacgen"));
});

test("pacGen column: NaN epochs at the end are skipped; a method with a seed that never logged it shows –; absent everywhere, no column", (t) => {
  const epochs = report.methods[0].histories[0].length;
  const r = withPacGen((i, s) => (i === 1 && s === 1 ? undefined : Array.from({ length: epochs }, (_, e) => (e === epochs - 1 ? NaN : 5 + e))));
  const { header, rows } = summaryRows(r);
  const col = header.indexOf("pacGen");
  t.true(col > 0);
  t.is(finalEpochStat(r.methods[0], "pacgen")?.mean, 5 + epochs - 2);
  t.is(rows[1][col], "–");
  t.false(summaryRows(report).header.includes("pacGen"));
});

test("tr H column: shown when some method has a Hessian trace (– for one without), absent when none has one (curvature off); the difference table takes the same columns", (t) => {
  t.true(summaryRows(report).header.includes("tr H"));
  const oneWithout: CompareReport = { ...report, methods: report.methods.map((m, i) => (i === 1 ? { ...m, hessianTrace: undefined } : m)) };
  const { header, rows } = summaryRows(oneWithout);
  t.is(rows[1][header.indexOf("tr H")], "–");
  const none: CompareReport = { ...report, methods: report.methods.map((m) => ({ ...m, hessianTrace: undefined })) };
  t.false(summaryRows(none).header.includes("tr H"));
  t.false(columns(none).some((c) => c.key === "hessianTrace"));
});
