/**
 * `npm run bench`: every benchmark, measured side by side in this one run, printed as markdown.
 *   node dist/src/run.js [--repeats N] [--only core,plugins,evaluation] [--write FILE]
 */
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { selectBackend, Logger } from "@flatfit/core";
import { coreCase } from "./cases/core";
import { pluginsCase } from "./cases/plugins";
import { evaluationCase } from "./cases/evaluation";
import { browserCase } from "./cases/browser";
import { backendsCase } from "./cases/backends";
import { wasmCase } from "./cases/wasm";
import { installExtras } from "./extras";

type Case = (repeats: number) => Promise<string>;
const CASES: Record<string, Case> = { core: coreCase, plugins: pluginsCase, evaluation: evaluationCase, backends: backendsCase, wasm: wasmCase, browser: browserCase };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const repeats = Number(arg("repeats") ?? 7);
  const only = (arg("only") ?? Object.keys(CASES).join(",")).split(",");
  installExtras(); // @flatfit/backends, as the CLI runs
  const backend = await selectBackend("auto", new Logger("warn"));
  const header = [
    "# flatfit benchmarks",
    "",
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ` +
      `Node ${process.version}; tfjs ${tf.version.tfjs}, backend \`${backend}\` with @flatfit/backends' extras. Ratios are medians of ${repeats} interleaved runs.`,
    "",
  ];
  const sections: string[] = [];
  for (const name of only) {
    const c = CASES[name];
    if (!c) throw new Error(`--only: unknown case "${name}" (cases: ${Object.keys(CASES).join(", ")})`);
    const t0 = performance.now();
    sections.push(await c(repeats));
    sections.push("", `_(${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)_`, "");
  }
  const out = [...header, ...sections].join("\n");
  console.log(out);
  const file = arg("write");
  if (file) writeFileSync(file, out + "\n");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
