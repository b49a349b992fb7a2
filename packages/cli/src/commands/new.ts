/**
 * `flatfit new plugin <id> [--dir DIR] [--name NAME]`: writes a plugin package from the templates
 * in packages/cli/templates/plugin — package.json (core, tfjs, tsyringe and reflect-metadata as
 * peers; build with tsc, test with ava), tsconfig.json (decorators), src/index.ts (the plugin
 * class), test/<id>.test.ts (the fit contract and a check of the gradient) and a README with the
 * cost table, options and citation. It never writes into a non-empty folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BUILTIN_PLUGINS, CORE_API_VERSION } from "@flatfit/core";

/** What a plugin id may look like: it names the package, the saved state and error messages. */
export const PLUGIN_ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const PLUGIN_ID_RULE = "lowercase letters and digits in words joined by single hyphens, starting with a letter (e.g. sam, my-method)";
const MAX_ID_LENGTH = 40;
/** npm's rule for package names (scoped or not, lowercase, URL-safe). */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** Versions of the tools the generated package builds and tests with (AVA 6: Node 18/20). */
const AVA_RANGE = "^6.4.1";
const TYPESCRIPT_RANGE = "~5.9.3";

const TEMPLATE_DIR = path.join(__dirname, "..", "..", "..", "templates", "plugin");
/** Template file → file written (relative paths; `{{id}}` in a name is replaced too). */
const FILES: ReadonlyArray<readonly [string, string]> = [
  ["package.json.tmpl", "package.json"],
  ["tsconfig.json.tmpl", "tsconfig.json"],
  ["gitignore.tmpl", ".gitignore"],
  ["src/index.ts.tmpl", "src/index.ts"],
  ["test/plugin.test.ts.tmpl", "test/{{id}}.test.ts"],
  ["README.md.tmpl", "README.md"],
];

export class ScaffoldError extends Error {}

export interface NewPluginOptions {
  /** Folder to write (default: ./<package name without scope>); must be missing or empty. */
  dir?: string;
  /** Package name (default: flatfit-plugin-<id>). */
  name?: string;
  /** What relative paths resolve from (default: the cwd). */
  cwd?: string;
}

/** Throws a ScaffoldError when `id` is not an acceptable plugin id. */
export function validatePluginId(id: string): void {
  if (!PLUGIN_ID_PATTERN.test(id) || id.length > MAX_ID_LENGTH) {
    throw new ScaffoldError(
      `plugin id ${JSON.stringify(id)} is not accepted: use ${PLUGIN_ID_RULE}, at most ${MAX_ID_LENGTH} characters (pattern ${PLUGIN_ID_PATTERN.source})`,
    );
  }
  if ((BUILTIN_PLUGINS as readonly string[]).includes(id)) {
    throw new ScaffoldError(
      `plugin id "${id}" is a built-in plugin's (${BUILTIN_PLUGINS.join(", ")}): {use: "${id}"} would load @flatfit/plugin-${id}; choose another id`,
    );
  }
}

/** The values the templates are filled with. */
export function templateValues(id: string, name: string): Record<string, string> {
  const cli = require("../../../package.json") as { dependencies: Record<string, string> };
  const dep = (pkg: string): string => {
    const range = cli.dependencies[pkg];
    if (!range) throw new Error(`flatfit new: @flatfit/cli's package.json lacks a dependency on ${pkg}`);
    return /^\d/.test(range) ? `^${range}` : range;
  };
  const words = id.split("-");
  const className = words.map((w) => w[0].toUpperCase() + w.slice(1)).join("") + "Plugin";
  return {
    id,
    name,
    useName: name === `flatfit-plugin-${id}` ? id : name,
    className,
    camelName: className[0].toLowerCase() + className.slice(1),
    coreApi: `^${CORE_API_VERSION.split(".")[0]}`,
    coreRange: dep("@flatfit/core"),
    tfjsRange: dep("@tensorflow/tfjs"),
    tsyringeRange: dep("tsyringe"),
    reflectMetadataRange: dep("reflect-metadata"),
    avaRange: AVA_RANGE,
    typescriptRange: TYPESCRIPT_RANGE,
  };
}

/** Replaces every `{{key}}`; a key without a value is an error (a template bug). */
export function render(template: string, values: Record<string, string>, file: string): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    if (!(key in values)) throw new Error(`flatfit new: template ${file} uses {{${key}}}, which has no value`);
    return values[key];
  });
}

/** Writes the plugin package; returns its folder and the files written (relative to it). */
export function scaffoldPlugin(id: string, opts: NewPluginOptions = {}): { dir: string; files: string[] } {
  validatePluginId(id);
  const name = opts.name ?? `flatfit-plugin-${id}`;
  if (!PACKAGE_NAME.test(name) || name.length > 214) {
    throw new ScaffoldError(`--name ${JSON.stringify(name)} is not an npm package name: lowercase letters, digits, "-", ".", "_", "~", optionally @scope/ first`);
  }
  const cwd = opts.cwd ?? process.cwd();
  const dir = path.resolve(cwd, opts.dir ?? name.replace(/^@[^/]+\//, ""));
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new ScaffoldError(`--dir ${dir} is a file; give a new or empty folder`);
    const entries = fs.readdirSync(dir);
    if (entries.length > 0) {
      throw new ScaffoldError(`--dir ${dir} is not empty (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", …" : ""}); give a new or empty folder, nothing was written`);
    }
  }
  const values = templateValues(id, name);
  const written: string[] = [];
  const rendered = FILES.map(([from, to]) => {
    const template = fs.readFileSync(path.join(TEMPLATE_DIR, from), "utf8");
    return [render(to, values, from), render(template, values, from)] as const;
  });
  for (const [rel, text] of rendered) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    written.push(rel);
  }
  return { dir, files: written };
}

export interface NewCommandOptions {
  dir?: string;
  name?: string;
}

/** The command: `flatfit new plugin <id>`. Returns the exit code (2 for a bad id, name or folder). */
export async function newCommand(kind: string, id: string, opts: NewCommandOptions): Promise<number> {
  if (kind !== "plugin") {
    process.stderr.write(`flatfit new: unknown kind "${kind}"; accepted: plugin (flatfit new plugin <id>)\n`);
    return 2;
  }
  try {
    const { dir, files } = scaffoldPlugin(id, opts);
    const rel = path.relative(process.cwd(), dir);
    const shown = rel === "" ? "." : rel.startsWith("..") ? dir : rel;
    process.stdout.write(
      `Wrote plugin "${id}" to ${shown}:\n${files.map((f) => `  ${f}`).join("\n")}\n\n` +
        `Next: cd ${shown} && npm install && npm run build && npm test\n` +
        `How to write one: docs/writing-plugins.md in flatfit's repository\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ScaffoldError)) throw err;
    process.stderr.write(`flatfit new: ${err.message}\n`);
    return 2;
  }
}
