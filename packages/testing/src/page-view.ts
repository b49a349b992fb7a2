/**
 * What a reader's browser shows of a local HTML file (a report, an example page): console errors,
 * the requests it made, each `figure.chart` with its number of rendered SVG marks and its width, and
 * the text of every table. Opened in the same headless Chromium as the browser checks.
 */
import { pathToFileURL } from "node:url";
import { launchChromium } from "./chromium";

export interface RenderedChart {
  /** The figure's `data-chart` attribute. */
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
  tables: string[];
}

const MARKS = "svg .mark-line path, svg .mark-symbol path, svg .mark-rect path, svg .mark-rule line, svg .mark-rule path";

export async function viewPage(file: string): Promise<PageView> {
  const browser = await launchChromium();
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
