import test from "ava";
import { columns, differenceRows, differenceSummary, pairedDifference, renderReport, tCritical, type CompareReport } from "@flatfit/report";
import { report } from "./fixture";

test("t critical values match a printed t table (two-sided, 3 decimals)", (t) => {
  // two-sided 95%: the t_{0.975} column of any t table; 90% and 99% columns likewise
  const table: Array<[number, number, number]> = [
    [0.95, 1, 12.706],
    [0.95, 2, 4.303],
    [0.95, 4, 2.776],
    [0.95, 9, 2.262],
    [0.95, 29, 2.045],
    [0.95, 120, 1.98],
    [0.9, 5, 2.015],
    [0.99, 10, 3.169],
  ];
  for (const [level, df, value] of table) t.is(Number(tCritical(level, df).toFixed(3)), value, `level ${level}, df ${df}`);
  t.throws(() => tCritical(0.95, 0), { instanceOf: RangeError });
  t.throws(() => tCritical(1, 3), { instanceOf: RangeError });
});

test("Student's sleep data: the paired interval R's t.test(extra ~ group, sleep, paired = TRUE) prints", (t) => {
  // Cushny & Peebles (1905) as Student (1908) analysed them: extra hours of sleep under two drugs, 10 patients
  const drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
  const d = pairedDifference(drug2, drug1);
  // published: mean difference 1.58, 95 percent confidence interval 0.7001142 2.4598858 (t = 4.0621, df = 9)
  t.is(d.n, 10);
  t.is(Number(d.mean.toFixed(10)), 1.58);
  t.is(Number(d.lo!.toFixed(7)), 0.7001142);
  t.is(Number(d.hi!.toFixed(7)), 2.4598858);
  t.is(Number((d.mean / (d.std / Math.sqrt(d.n))).toFixed(4)), 4.0621);
  t.true(d.distinguishable);
  // the other way round: the same interval, negated
  const r = pairedDifference(drug1, drug2);
  t.is(Number(r.hi!.toFixed(7)), -0.7001142);
  t.true(r.distinguishable);
});

test("an interval that contains 0 is not distinguishable; pairs with a missing value are left out; one pair has no interval", (t) => {
  const d = pairedDifference([2, 0, 4], [1, 1, 2]); // differences 1, -1, 2: mean 2/3, std √(7/3)
  t.is(d.n, 3);
  t.true(Math.abs(d.std - Math.sqrt(7 / 3)) < 1e-12);
  t.true(Math.abs(d.hi! - (2 / 3 + tCritical(0.95, 2) * Math.sqrt(7 / 3 / 3))) < 1e-12);
  t.true(d.lo! < 0 && d.hi! > 0);
  t.false(d.distinguishable);
  const gaps = pairedDifference([1, undefined, 3, NaN], [0, 5, 1, 2]);
  t.deepEqual(gaps.values, [1, 2]);
  const one = pairedDifference([1], [0.5]);
  t.is(one.n, 1);
  t.is(one.lo, undefined);
  t.false(one.distinguishable);
  t.throws(() => pairedDifference([1, 2], [1]), { instanceOf: RangeError });
});

/** The fixture with differences to "plain" (2 seeds), as the CLI fills them in. */
function withDifferences(base: CompareReport): CompareReport {
  const [plain] = base.methods;
  const methods = base.methods.map((m) => {
    if (m.name === plain.name) return m;
    const cols = columns(base);
    const differences = Object.fromEntries(cols.map((c) => [c.key, pairedDifference(c.stat(m)!.values, c.stat(plain)!.values)]));
    return { ...m, differences };
  });
  return { ...base, methods, baseline: plain.name };
}

test("the difference table: one row per method but the baseline, a column per summary column, * where the interval excludes 0", (t) => {
  const r = withDifferences(report);
  const table = differenceRows(r)!;
  t.deepEqual(table.header, ["method", "Δ float32 acc (points)", "Δ 8bit acc (points)", "Δ 6bit acc (points)", "Δ 5bit acc (points)", "Δ 4bit acc (points)", "Δ tr H", "Δ s / epoch"]);
  t.deepEqual(table.rows.map((row) => row[0]), ["hero"]);
  // float32: hero 0.91, 0.92 against plain 0.90, 0.91 → +1 point on both seeds: std 0, interval [1, 1], excludes 0
  t.is(table.rows[0][1], "+1.00 [+1.00, +1.00] *");
  // 4bit: hero 0.75, 0.74 against 0.50, 0.49 → +25 points both seeds
  t.is(table.rows[0][5], "+25.00 [+25.00, +25.00] *");
  // tr H: hero 10, 11 against 40, 44 → -30, -33: mean -31.5, interval -31.5 ± 12.706·1.5 = [-50.6, -12.4]
  t.is(table.rows[0][6], "-31.5 [-50.6, -12.4] *");
  // s / epoch: identical → 0 ± 0, not distinguishable
  t.is(table.rows[0][7], "0.00 [0.00, 0.00]");
  t.regex(table.legend, /mean over 2 seeds \[95% confidence interval, Student t with 1 degree of freedom\]/);
});

test("the report says in words which differences the table marks, and that the others are not distinguishable", async (t) => {
  const r = withDifferences(report);
  const words = differenceSummary(r)!;
  t.regex(words, /^Each method is compared with plain seed by seed .* over 2 seeds, with a 95% confidence interval/);
  t.regex(words, /6 of 7 intervals exclude 0 \(marked \*\)/);
  t.regex(words, /hero's 4bit acc is higher than plain's by 25\.00 points \(interval \+25\.00 to \+25\.00\)/);
  t.regex(words, /hero's tr H is lower than plain's by 31\.5 \(interval -50\.6 to -12\.4\)/);
  t.regex(words, /The other interval contains 0: with 2 seeds that difference is not distinguishable from zero\./);
  const html = await renderReport(r);
  t.regex(html, /<h2>Differences to plain \(paired by seed\)<\/h2>/);
  t.regex(html, /data-words="differences">Each method/);
  // one seed, or no baseline: no difference table and no words
  t.is(differenceRows(report), undefined);
  t.is(differenceSummary(report), undefined);
  t.notRegex(await renderReport(report), /Differences to/);
});

test("a column where fewer seeds have values on both sides says how many", (t) => {
  const hero = report.methods[1];
  // the trace probe failed on hero's second seed (as a run with every probe rejected records it)
  const gap = { ...report, methods: [report.methods[0], { ...hero, hessianTrace: { ...hero.hessianTrace!, values: [10, NaN] } }] };
  const table = differenceRows(withDifferences(gap))!;
  t.is(table.rows[0][6], "-30.0 (n = 1)");
  t.regex(table.legend, /\(n = k\): only k seeds have a value on both sides$/);
  t.notRegex(differenceRows(withDifferences(report))!.legend, /n = k/);
});
