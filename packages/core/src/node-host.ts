/**
 * The Node host: files through node:fs, modules through require (resolved from the config's
 * folder, then the working directory, then this package), paths through node:path. Imported
 * only by the Node entry (`node.ts`), never by the browser-safe one.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { Host } from "./host";

export const nodeHost: Host = {
  kind: "node",
  readTextFile(file) {
    const abs = path.resolve(file);
    return { text: readFileSync(abs, "utf8"), path: abs, dir: path.dirname(abs) };
  },
  loadModule(id, baseDir) {
    let file: string;
    try {
      file = require.resolve(id, { paths: [...(baseDir ? [baseDir] : []), process.cwd(), __dirname] });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") return undefined;
      throw err;
    }
    return { exports: require(file), from: file };
  },
  canResolve(id) {
    try {
      require.resolve(id, { paths: [process.cwd(), __dirname] });
      return true;
    } catch {
      return false;
    }
  },
  cwd() {
    return process.cwd();
  },
  resolvePath(dir, file) {
    return path.resolve(dir ?? process.cwd(), file);
  },
};
