/**
 * Reading a config file (JSON or YAML) so that every error can name its line: syntax errors
 * from the parser, and validation errors by locating the offending field in the source.
 */
import { LineCounter, parseDocument, isMap, isScalar, type Document } from "yaml";
import { FlatfitConfigError } from "./errors";
import { host } from "./host";
import { locateJsonError } from "./json-locate";

export interface SourcedConfig {
  value: unknown;
  file: string;
  dir: string;
  /** Line/column of a path in the file (of the key named last in `path`, if any). */
  locate(path: (string | number)[]): { line: number; column: number } | undefined;
}

/** Reads and parses a config file (Node; in a browser this throws, saying to pass the object). */
export function readConfigFile(file: string): SourcedConfig {
  let text: string;
  let abs: string;
  let dir: string;
  try {
    ({ text, path: abs, dir } = host().readTextFile(file));
  } catch (err) {
    throw new FlatfitConfigError([{ path: [], message: `cannot read config file: ${(err as Error).message}` }], file);
  }
  const lineCounter = new LineCounter();
  const isJson = /\.json$/i.test(abs);
  if (isJson) {
    const bad = locateJsonError(text);
    if (bad) {
      const { line, column } = lineAndColumn(text, bad.offset);
      const found = bad.offset < text.length ? JSON.stringify(text[bad.offset]) : "the end of the file";
      throw new FlatfitConfigError([{ path: [], line, column, message: `JSON syntax error: expected ${bad.expected}, found ${found}` }], file);
    }
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new FlatfitConfigError(
      doc.errors.map((e) => {
        const lp = lineCounter.linePos(e.pos[0]);
        return { path: [], line: lp.line, column: lp.col, message: `${isJson ? "JSON" : "YAML"} syntax error: ${e.message.split("\n")[0]}` };
      }),
      file,
    );
  }
  return {
    value: doc.toJS(),
    file,
    dir,
    locate: (p) => locateIn(doc, lineCounter, p),
  };
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function locateIn(doc: Document, lc: LineCounter, p: (string | number)[]): { line: number; column: number } | undefined {
  for (let n = p.length; n >= 0; n--) {
    const parentPath = p.slice(0, Math.max(0, n - 1));
    const key = n > 0 ? p[n - 1] : undefined;
    const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    if (key !== undefined && isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === String(key));
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) {
        const lp = lc.linePos(range[0]);
        return { line: lp.line, column: lp.col };
      }
    }
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) {
      const lp = lc.linePos(range[0]);
      return { line: lp.line, column: lp.col };
    }
  }
  return undefined;
}
