/** @flatfit/report — comparison results as one self-contained HTML page with SVG charts. */
export { type CompareReport, type MethodResult, type EvalSummary, type LandscapeGrid, type Stat, stat } from "./model";
export { renderReport, summaryRows, variants, pct, num } from "./html";
export { toSvg } from "./render";
export * as charts from "./charts";
