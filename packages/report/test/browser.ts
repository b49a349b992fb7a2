/**
 * Loads a report file in headless Chromium (Debian's) and returns what a reader's browser shows:
 * console errors, requests made, and per chart its name, number of rendered marks and width.
 * Shared by the report's own test and the CLI's compare test.
 */
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM } from "./ensure-chromium";

export interface RenderedChart {
  name: string | null;
  marks: number;
  width: number;
}

export interface PageView {
  /** The navigation response was fine (file:// gives none). */
  ok: boolean;
  errors: string[];
  requests: string[];
  charts: RenderedChart[];
  /** Text of each table on the page, in order. */
  tables: string[];
}

const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const MARKS = "svg .mark-line path, svg .mark-symbol path, svg .mark-rect path, svg .mark-rule line, svg .mark-rule path";

export async function viewInChromium(file: string): Promise<PageView> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => requests.push(r.url()));
    const response = await page.goto(pathToFileURL(file).href);
    const charts = await page.$$eval(
      "figure.chart",
      (figs, selector) =>
        figs.map((f) => ({
          name: f.getAttribute("data-chart"),
          marks: f.querySelectorAll(selector).length,
          width: f.querySelector("svg")?.getBoundingClientRect().width ?? 0,
        })),
      MARKS,
    );
    const tables = await page.$$eval("table", (ts) => ts.map((x) => x.textContent ?? ""));
    return { ok: response === null || response.ok(), errors, requests, charts, tables };
  } finally {
    await browser.close();
  }
}
