/**
 * CSV tables for a user's own tabular data: numeric feature columns and one label column
 * (any values; classes are the distinct values, sorted). Errors name the file, line and column.
 */
import { readFileSync } from "node:fs";
import type { Dataset } from "./dataset";

export interface CsvOptions {
  /** The label column: a header name or a 0-based index (default: the last column). */
  label?: string | number;
  /** Whether the first row names the columns (default: true). */
  header?: boolean;
  delimiter?: string;
}

export class CsvError extends Error {}

/** Splits one CSV line, honouring double quotes ("a,b" and "" escapes). */
export function splitCsvLine(line: string, delimiter = ","): string[] {
  const cells: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      cells.push(cur);
      cur = "";
    } else cur += c;
  }
  cells.push(cur);
  return cells.map((s) => s.trim());
}

export function loadCsv(file: string, opts: CsvOptions = {}): Dataset {
  const text = readFileSync(file, "utf8");
  const lines = text.split(/\r?\n/);
  const delimiter = opts.delimiter ?? ",";
  const hasHeader = opts.header ?? true;
  let first = 0;
  while (first < lines.length && lines[first].trim() === "") first++;
  if (first >= lines.length) throw new CsvError(`${file}: no rows`);
  const names = hasHeader ? splitCsvLine(lines[first], delimiter) : undefined;
  const width = (names ?? splitCsvLine(lines[first], delimiter)).length;
  let labelIdx = width - 1;
  if (typeof opts.label === "number") labelIdx = opts.label;
  else if (typeof opts.label === "string") {
    labelIdx = names ? names.indexOf(opts.label) : -1;
    if (labelIdx < 0) throw new CsvError(`${file}:${first + 1}: no column named "${opts.label}" (columns: ${(names ?? []).join(", ") || "no header"})`);
  }
  if (labelIdx < 0 || labelIdx >= width) throw new CsvError(`${file}: label column ${labelIdx} out of range (0…${width - 1})`);

  const rows: number[][] = [];
  const rawLabels: string[] = [];
  for (let l = hasHeader ? first + 1 : first; l < lines.length; l++) {
    if (lines[l].trim() === "") continue;
    const cells = splitCsvLine(lines[l], delimiter);
    if (cells.length !== width) throw new CsvError(`${file}:${l + 1}: expected ${width} columns, found ${cells.length}`);
    const row: number[] = [];
    cells.forEach((cell, c) => {
      if (c === labelIdx) return;
      const v = Number(cell);
      if (cell === "" || !Number.isFinite(v)) {
        throw new CsvError(`${file}:${l + 1}: column ${names ? `"${names[c]}"` : c + 1} is not a number: ${JSON.stringify(cell)}`);
      }
      row.push(v);
    });
    rows.push(row);
    rawLabels.push(cells[labelIdx]);
  }
  if (rows.length === 0) throw new CsvError(`${file}: no data rows`);
  const classNames = [...new Set(rawLabels)].sort((a, b) => (isNaN(+a) || isNaN(+b) ? a.localeCompare(b) : +a - +b));
  const index = new Map(classNames.map((c, i) => [c, i]));
  const f = width - 1;
  const features = new Float32Array(rows.length * f);
  rows.forEach((r, i) => features.set(r, i * f));
  return { features, shape: [f], labels: Int32Array.from(rawLabels, (s) => index.get(s)!), classes: classNames.length, classNames };
}

/** Standardizes features with the mean and std of `fit` (e.g. the training part), applied to all. */
export function standardize(fit: Dataset, ...others: Dataset[]): Dataset[] {
  const f = fit.shape.reduce((a, b) => a * b, 1);
  const n = fit.labels.length;
  const mean = new Float64Array(f);
  const sq = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += fit.features[i * f + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) sq[j] += (fit.features[i * f + j] - mean[j]) ** 2 / n;
  const std = Array.from(sq, (v) => Math.sqrt(v) || 1);
  return [fit, ...others].map((d) => {
    const out = new Float32Array(d.features.length);
    for (let i = 0; i < d.features.length; i++) out[i] = (d.features[i] - mean[i % f]) / std[i % f];
    return { ...d, features: out };
  });
}
