import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { renderReport, summaryRows } from "@flatfit/report";
import { viewPage } from "@flatfit/testing/chromium";
import { report } from "./fixture";

const CHARTS = ["accuracy-vs-bits", "loss-per-epoch", "accuracy-per-epoch", "hessian-trace", "landscape-plain", "landscape-hero"];

test("the summary has one row per method, float32 then bit-widths high to low, mean ± std in percent", (t) => {
  const { header, rows } = summaryRows(report);
  t.deepEqual(header, ["method", "float32 acc (%)", "8bit acc (%)", "6bit acc (%)", "5bit acc (%)", "4bit acc (%)", "tr H", "s / epoch"]);
  t.is(rows[1][0], "hero");
  // 4-bit accuracies of the fixture: 75% and 74% → mean 74.50, sample std 1/√2 = 0.71
  t.is(rows[1][5], "74.50 ± 0.71");
});

test("the page is self-contained: every chart is inline SVG, no script and no external reference", async (t) => {
  const html = await renderReport(report);
  for (const name of CHARTS) t.regex(html, new RegExp(`data-chart="${name}"><svg`), name);
  t.notRegex(html, /<script/i);
  t.notRegex(html, /(src|href)="(https?:)?\/\//i);
  t.regex(html, /<td>hero<\/td>/);
});

test("in headless Chromium the report loads without console errors and every chart has rendered marks", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "flatfit-report-"));
  const file = path.join(dir, "report.html");
  writeFileSync(file, await renderReport(report));
  const page = await viewPage(file);
  t.true(page.ok);
  t.deepEqual(page.errors, []);
  t.deepEqual(page.charts.map((m) => m.name), CHARTS);
  for (const m of page.charts) {
    t.true(m.marks > 0, `${m.name} has no rendered marks`);
    t.true(m.width > 100, `${m.name} is not laid out (width ${m.width})`);
  }
});
