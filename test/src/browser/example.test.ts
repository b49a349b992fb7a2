/**
 * examples/browser, opened as a reader would: its built site served from 127.0.0.1, one short
 * epoch of HERO + quantize-on-eval on webgl, then the chart is drawn (lines and points in SVG),
 * the evaluation table has one row per bit-width, and the console has no errors.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { launchChromium, serveStatic } from "@flatfit/testing/chromium";

const SITE = path.resolve(__dirname, "..", "..", "..", "..", "examples", "browser", "dist", "site");

test("the browser example trains one epoch with HERO on webgl and draws its chart, with no console errors", async (t) => {
  const files = Object.fromEntries(["index.html", "app.js", "mnist.json"].map((f) => [`/${f}`, readFileSync(path.join(SITE, f))]));
  const server = await serveStatic(files);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${server.url}?backend=webgl&method=hero&epochs=1&train=300&autostart=1`);
    await page.waitForSelector("body[data-state=done], body[data-state=error]", { timeout: 240_000 });
    const status = await page.textContent("#status");
    t.is(await page.getAttribute("body", "data-state"), "done", status ?? "");
    t.regex(status ?? "", /^epoch 1\/1 on webgl · loss \d\.\d{4} · validation \d+\.\d % · 8-bit \d+\.\d % · 6-bit \d+\.\d % · 4-bit \d+\.\d %/);
    const marks = await page.$$eval("#chart svg .mark-symbol path, #chart svg .mark-line path", (ps) => ps.length);
    // one point per series and epoch: train and validation loss; train, float32, 8-, 6-, 4-bit accuracy
    t.true(marks >= 7, `${marks} marks drawn`);
    t.deepEqual(await page.$$eval("#rows tr td:first-child", (tds) => tds.map((td) => td.textContent)), ["float32", "8bit", "6bit", "4bit"]);
    t.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
