/** @flatfit/report — comparison results as one self-contained HTML page with SVG charts. */
export { type CompareReport, type MethodResult, type EvalSummary, type LandscapeGrid, type QuantizationSetup, type Stat, stat } from "./model";
export { pairedDifference, tCritical, type PairedDifference } from "./stats";
export { renderReport, summaryRows, differenceRows, differenceSummary, columns, variants, pct, num, finalEpochStat, EPOCH_LOG_COLUMNS, type Column } from "./html";
export { toSvg } from "./render";
export * as charts from "./charts";
export { reviveReport, parseReport, stringifyReport } from "./model";
export { NOT_MEASURED } from "./html";
export { METHOD_PALETTE, paletteColor, methodColors, methodColorEncoding } from "./colors";
