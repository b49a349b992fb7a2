import test from "ava";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { renderReport, summaryRows } from "@flatfit/report";
import { CHROMIUM } from "./ensure-chromium";
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
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    const response = await page.goto(pathToFileURL(file).href);
    t.truthy(response === null || response.ok());
    t.deepEqual(errors, []);
    const marks = await page.$$eval("figure.chart", (figs) =>
      figs.map((f) => ({
        name: f.getAttribute("data-chart"),
        marks: f.querySelectorAll("svg .mark-line path, svg .mark-symbol path, svg .mark-rect path, svg .mark-rule line, svg .mark-rule path").length,
        width: f.querySelector("svg")?.getBoundingClientRect().width ?? 0,
      })),
    );
    t.deepEqual(marks.map((m) => m.name), CHARTS);
    for (const m of marks) {
      t.true(m.marks > 0, `${m.name} has no rendered marks`);
      t.true(m.width > 100, `${m.name} is not laid out (width ${m.width})`);
    }
  } finally {
    await browser.close();
  }
});
