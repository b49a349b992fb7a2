/**
 * Packaging: every publishable package gives the same names to Node's `import` and to `require`
 * (one copy of its state: the same class either way), and the browser packages bundle with
 * esbuild, Vite and webpack at their defaults, with no shims for Node modules.
 */
import test from "ava";
import { createRequire } from "node:module";
import * as path from "node:path";
import { esbuildBrowser, viteBrowser, webpackBrowser } from "./browser/bundle";
import { APP_DIR, BROWSER_PACKAGES, importEsm, PACKAGES } from "./browser/packages";

const appRequire = createRequire(path.join(APP_DIR, "app.js"));
const names = (m: object) => Object.keys(m).filter((k) => k !== "__esModule").sort();

for (const pkg of PACKAGES) {
  test(`${pkg}: import from Node ESM and require give the same names and the same objects`, async (t) => {
    const viaImport = await importEsm(pkg);
    const viaRequire = appRequire(pkg) as Record<string, unknown>;
    t.true(names(viaRequire).length > 0);
    t.deepEqual(names(viaImport), names(viaRequire));
    for (const k of names(viaRequire)) t.is(viaImport[k], viaRequire[k], `${pkg} export ${k} is one copy`);
  });
}

for (const pkg of BROWSER_PACKAGES) {
  test(`${pkg}: bundles for the browser with esbuild (platform browser), exporting the same names`, async (t) => {
    const entry = `export * from "${pkg}";\n` + (hasDefault(pkg) ? `export { default } from "${pkg}";\n` : "");
    const bundle = await esbuildBrowser(entry);
    t.deepEqual([...bundle.exports].sort(), names(appRequire(pkg) as object));
    t.notRegex(bundle.code, /require\("node:|from "node:/);
  });
}

function hasDefault(pkg: string): boolean {
  return "default" in (appRequire(pkg) as object);
}

const ALL = BROWSER_PACKAGES.map((p, i) => `import * as p${i} from "${p}";`).join("\n") + `\nexport const packages = [${BROWSER_PACKAGES.map((_p, i) => `p${i}`).join(", ")}];\n`;

test("the browser packages bundle together with Vite's defaults", async (t) => {
  const bundle = await viteBrowser(ALL);
  t.deepEqual(bundle.exports, ["packages"]);
  t.regex(bundle.code, /createFlatfit/);
  t.notRegex(bundle.code, /from "node:|require\("node:/);
});

test("the browser packages bundle together with webpack's defaults", async (t) => {
  const bundle = await webpackBrowser(ALL);
  t.true(bundle.code.length > 100_000);
  t.notRegex(bundle.code, /require\("node:/);
});
