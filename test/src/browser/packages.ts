/** The publishable packages, and which of them must bundle for a browser. */
export const PACKAGES = [
  "@flatfit/core",
  "@flatfit/metrics",
  "@flatfit/data",
  "@flatfit/report",
  "@flatfit/testing",
  "@flatfit/backends",
  "@flatfit/plugin-hero",
  "@flatfit/plugin-nso",
  "@flatfit/plugin-seht",
  "@flatfit/plugin-grad-l1",
  "@flatfit/plugin-pertopt",
  "@flatfit/plugin-quantize-on-eval",
  "@flatfit/plugin-curvature",
] as const;

/** @flatfit/data reads files (node:fs): it is Node-side. */
export const BROWSER_PACKAGES = PACKAGES.filter((p) => p !== "@flatfit/data");

/** The test workspace's folder: where the packages resolve from, as in a user's app. */
export const APP_DIR = require("node:path").resolve(__dirname, "..", "..", "..") as string;

/** A real dynamic import from this CommonJS build (tsc would turn `import()` into `require`). */
export const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Record<string, unknown>>;
