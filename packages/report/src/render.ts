/** Vega-Lite spec → SVG string, rendered in Node (no browser, no canvas). */
type VegaModule = typeof import("vega", { with: { "resolution-mode": "import" } });
type VegaLiteModule = typeof import("vega-lite", { with: { "resolution-mode": "import" } });

let modules: Promise<[VegaModule, VegaLiteModule]> | undefined;

// vega is an ES module with top-level await: it must be loaded with import(), not require().
function load(): Promise<[VegaModule, VegaLiteModule]> {
  modules ??= Promise.all([import("vega"), import("vega-lite")]);
  return modules;
}

export async function toSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, vl] = await load();
  const compiled = vl.compile({ $schema: "https://vega.github.io/schema/vega-lite/v6.json", ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
