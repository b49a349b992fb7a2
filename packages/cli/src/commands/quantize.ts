/**
 * `flatfit quantize --model <run dir | model dir | model.json> --bits 8|16 [--preset tfjs-converter]
 * [--out DIR] [--config run.yaml] [--batch-size N]`: writes a saved float32 model in tfjs's weights
 * format quantized to uint8 or uint16 — what `tensorflowjs_converter --quantize_uint8/16` writes,
 * through quantize-on-eval's `saveQuantized` — which plain `tf.loadLayersModel` reads. It reports
 * the files' sizes beside the float32 model's and, with test data (a run directory's own config, or
 * `--config`), the accuracy of the saved file beside the float32 model's and the simulated preset
 * "tfjs-converter" at the same bits (the `evaluate` row of a train run with that preset). Everything
 * is checked before anything is written; `quantization.json` in the output folder records the report.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { installBackendExtras } from "@flatfit/backends";
import { createFlatfit, evaluateModel, type EvalRow } from "@flatfit/core";
import { toTensors } from "@flatfit/data";
import { saveQuantized, TFJS_CONVERTER_BITS, type ConverterBits } from "@flatfit/plugin-quantize-on-eval";
import { loadTrainConfig } from "../config/load";
import { loadRunData } from "../data";
import { dirSaveHandler, loadModelDir } from "../model-io";
import { checkShapes } from "../model-source";
import { fmt } from "../progress";
import { RESOLVED_CONFIG, writeJsonAtomic } from "../run-dir";
import { formatTable } from "../table";
import { backendLine, logSinkTo } from "./common";
import { UsageError } from "./train";

export interface QuantizeOptions {
  /** A run directory of `flatfit train` (its model/ and its config's test data), a folder with model.json, or a model.json. */
  model?: string;
  /** 8 or 16 (a string from the command line). */
  bits?: number | string;
  /** Only "tfjs-converter" (the default). */
  preset?: string;
  /** Output folder (default: <run dir>/model-uint8, or <model dir>-uint8 beside the model folder). */
  out?: string;
  /** A train config (or a run's config.resolved.json) whose test split the accuracy is measured on. */
  config?: string;
  batchSize?: number;
}

/** Bytes of a saved model's files. */
export interface ModelFileSizes {
  modelJson: number;
  weights: number;
  total: number;
}

export interface QuantizeReport {
  /** The float32 model folder read, and the folder written. */
  source: string;
  out: string;
  bits: ConverterBits;
  dtype: "uint8" | "uint16";
  preset: "tfjs-converter";
  /** The files on disk: the float32 model's and the quantized one's; `ratio` = quantized.total / float32.total. */
  sizes: { float32: ModelFileSizes; quantized: ModelFileSizes; ratio: number };
  /** Weights stored as codes (every float32 weight), and weights kept as they were (int32…). */
  quantized: number;
  kept: string[];
  /** With test data: the rows float32, `<b>bit` (simulated preset tfjs-converter) and `<b>bit-saved` (the written file read back by tf.loadLayersModel). */
  data?: { description: string; config: string; examples: number };
  evaluation?: { float32: EvalRow; simulated: EvalRow; saved: EvalRow };
  backend: string;
  writtenAt: string;
}

export const PRESETS = ["tfjs-converter"] as const;
/** The report written beside model.json and weights.bin. */
export const QUANTIZATION_REPORT = "quantization.json";
/** What saveQuantized writes as model.json's convertedBy: how a rerun recognises its own output folder. */
const OWN_MARK = "@flatfit/plugin-quantize-on-eval saveQuantized";

const bitsText = TFJS_CONVERTER_BITS.join(" or ");

function parseBits(value: unknown): ConverterBits {
  if (value === undefined) throw new UsageError(`quantize: give --bits ${bitsText} (uint8 or uint16, the widths tfjs's weights format stores)`);
  const n = typeof value === "number" ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
  if (!(TFJS_CONVERTER_BITS as readonly number[]).includes(n)) {
    throw new UsageError(`quantize: --bits must be ${bitsText} (uint8 or uint16, the widths tfjs's weights format stores; for other bit-widths evaluate them simulated in a train config's evaluate block); got ${JSON.stringify(value)}`);
  }
  return n as ConverterBits;
}

function readJson(file: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`quantize: ${what} ${file} is not readable JSON: ${(err as Error).message}`);
  }
}

interface Source {
  /** The folder of the float32 model.json. */
  modelDir: string;
  /** The run's config.resolved.json when --model is a run directory. */
  runConfig?: string;
  defaultOut: (dtype: string) => string;
}

/** Where the model (and, for a run directory, its config) is; a UsageError naming --model otherwise. */
function locate(model: string | undefined): Source {
  if (!model) throw new UsageError("quantize: give the model to quantize: --model <run directory of flatfit train | folder with model.json | model.json>");
  const at = path.resolve(model);
  if (!existsSync(at)) throw new UsageError(`quantize: --model ${model}: no such file or folder`);
  if (statSync(at).isDirectory()) {
    if (existsSync(path.join(at, RESOLVED_CONFIG)) && existsSync(path.join(at, "model", "model.json"))) {
      return { modelDir: path.join(at, "model"), runConfig: path.join(at, RESOLVED_CONFIG), defaultOut: (d) => path.join(at, `model-${d}`) };
    }
    if (existsSync(path.join(at, "model.json"))) return { modelDir: at, defaultOut: (d) => `${at}-${d}` };
  } else if (path.basename(at) === "model.json") {
    const dir = path.dirname(at);
    return { modelDir: dir, defaultOut: (d) => `${dir}-${d}` };
  }
  throw new UsageError(`quantize: --model ${model}: expected a run directory of flatfit train (with ${RESOLVED_CONFIG} and model/), a folder with model.json, or a model.json file`);
}

/** The float32 model's file sizes, from its model.json and the weight files it lists; refuses an already quantized model. */
function sourceSizes(modelDir: string, given: string): ModelFileSizes {
  const file = path.join(modelDir, "model.json");
  const json = readJson(file, "--model:");
  const groups = (json.weightsManifest ?? []) as tf.io.WeightsManifestConfig;
  const quantized = groups.flatMap((g) => g.weights).filter((w) => w.quantization);
  if (quantized.length > 0) {
    throw new UsageError(
      `quantize: --model ${given} is already quantized (${quantized.length} weights stored as ${quantized[0].quantization!.dtype}${json.convertedBy ? `, by ${String(json.convertedBy)}` : ""}); give the float32 model it was made from`,
    );
  }
  const weights = groups.flatMap((g) => g.paths).reduce((n, p) => n + (existsSync(path.join(modelDir, p)) ? statSync(path.join(modelDir, p)).size : 0), 0);
  const modelJson = statSync(file).size;
  return { modelJson, weights, total: modelJson + weights };
}

/** The output folder: new, empty, or one this command wrote before (rerun); never the model's own folder. */
function checkOut(out: string, modelDir: string, given: string): void {
  if (path.resolve(out) === path.resolve(modelDir)) throw new UsageError(`quantize: --out ${given} is the folder of the model it reads; choose another folder`);
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UsageError(`quantize: --out ${given} exists and is not a folder`);
  const entries = readdirSync(out);
  if (entries.length === 0) return;
  const json = path.join(out, "model.json");
  const ours = existsSync(json) && String((readJson(json, "--out:").convertedBy as string | undefined) ?? "").startsWith(OWN_MARK);
  if (!ours) throw new UsageError(`quantize: --out ${given} exists and holds files that flatfit quantize did not write (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", …" : ""}); choose a new or empty folder`);
}

function fileSizes(dir: string): ModelFileSizes {
  const modelJson = statSync(path.join(dir, "model.json")).size;
  const weights = statSync(path.join(dir, "weights.bin")).size;
  return { modelJson, weights, total: modelJson + weights };
}

/**
 * Writes the model quantized and returns the report (the command prints it). Every argument, the
 * model, the config and the data are checked before anything is written.
 */
export async function quantizeModel(opts: QuantizeOptions, log: (line: string) => void = () => {}): Promise<QuantizeReport> {
  const bits = parseBits(opts.bits);
  const preset = opts.preset ?? "tfjs-converter";
  if (!(PRESETS as readonly string[]).includes(preset)) {
    throw new UsageError(`quantize: --preset accepts ${PRESETS.join(", ")} (tfjs's converter quantization, the one tf.loadLayersModel reads back); got ${JSON.stringify(preset)}`);
  }
  if (opts.batchSize !== undefined && !(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) throw new UsageError(`quantize: --batch-size must be an integer ≥ 1; got ${opts.batchSize}`);
  const dtype = bits === 8 ? "uint8" : "uint16";
  const source = locate(opts.model);
  const floatSizes = sourceSizes(source.modelDir, opts.model!);
  const out = path.resolve(opts.out ?? source.defaultOut(dtype));
  checkOut(out, source.modelDir, opts.out ?? out);

  const configFile = opts.config ?? source.runConfig;
  const loaded = configFile ? await loadTrainConfig(configFile) : undefined;
  const c = loaded?.config;
  // the backend the config trains on (a run directory's own), as train picks it; "auto" otherwise
  const ff = await createFlatfit({ backend: c?.backend ?? "auto", logLevel: "warn" }, { logSink: logSinkTo(log, "warn") });
  ff.dispose();
  installBackendExtras();

  const model = await loadModelDir(source.modelDir).catch((err: Error) => {
    throw new UsageError(`quantize: --model ${opts.model}: cannot load the model: ${err.message}`);
  });
  let test: { x: tf.Tensor; y: tf.Tensor2D } | undefined;
  try {
    let data: QuantizeReport["data"];
    if (loaded && c) {
      const run = loadRunData(c.data, loaded.dir, c.seed, c.validationSplit);
      try {
        checkShapes(model, run.test.shape, run.test.classes, `the model at ${opts.model}`);
      } catch (err) {
        throw new UsageError(`quantize: ${(err as Error).message} (the test data of ${opts.config ? "--config " : ""}${loaded.file})`);
      }
      test = toTensors(run.test);
      data = { description: run.info.description, config: path.resolve(loaded.file), examples: run.info.test };
    }
    model.compile({ optimizer: "sgd", loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const batchSize = opts.batchSize ?? c?.evaluate.batchSize ?? 256;
    const float32 = test ? await evaluateModel(model, test.x, test.y, batchSize) : undefined;

    const r = await saveQuantized(model, dirSaveHandler(out), { bits, ...(test ? { data: { x: test.x, y: test.y, batchSize } } : {}) });
    const quantizedSizes = fileSizes(out);
    const report: QuantizeReport = {
      source: source.modelDir,
      out,
      bits,
      dtype,
      preset: "tfjs-converter",
      sizes: { float32: floatSizes, quantized: quantizedSizes, ratio: quantizedSizes.total / floatSizes.total },
      quantized: r.quantized.length,
      kept: r.kept,
      ...(data ? { data } : {}),
      ...(float32 && r.evaluation
        ? { evaluation: { float32: { variant: "float32", ...float32 }, simulated: r.evaluation.simulated, saved: r.evaluation.saved } }
        : {}),
      backend: tf.getBackend(),
      writtenAt: new Date().toISOString(),
    };
    writeJsonAtomic(path.join(out, QUANTIZATION_REPORT), report);
    return report;
  } finally {
    if (test) tf.dispose([test.x, test.y]);
    model.dispose();
  }
}

const kB = (n: number): string => `${(n / 1024).toFixed(1)} kB`;

/** The report as the command prints it. */
export function formatQuantizeReport(r: QuantizeReport, cwd = process.cwd()): string[] {
  const rel = (p: string) => path.relative(cwd, p) || ".";
  const lines = [
    `flatfit quantize ${rel(r.source)} → ${rel(r.out)}: ${r.dtype}, preset ${r.preset} (as tensorflowjs_converter --quantize_${r.dtype}: every float32 weight affine per tensor, ${r.quantized} weights${r.kept.length ? `; kept as they were: ${r.kept.join(", ")}` : ""})`,
    "file sizes:",
    formatTable(
      ["file", "float32", r.dtype, "ratio"],
      [
        ["weights", kB(r.sizes.float32.weights), kB(r.sizes.quantized.weights), (r.sizes.quantized.weights / r.sizes.float32.weights).toFixed(3)],
        ["model.json", kB(r.sizes.float32.modelJson), kB(r.sizes.quantized.modelJson), (r.sizes.quantized.modelJson / r.sizes.float32.modelJson).toFixed(3)],
        ["total", kB(r.sizes.float32.total), kB(r.sizes.quantized.total), r.sizes.ratio.toFixed(3)],
      ],
    ),
  ];
  if (r.evaluation && r.data) {
    const { float32, simulated, saved } = r.evaluation;
    const metrics = [...new Set([float32, simulated, saved].flatMap((e) => Object.keys(e.metrics)))];
    const row = (name: string, e: EvalRow) => [name, fmt(e.loss), ...metrics.map((m) => (e.metrics[m] === undefined ? "–" : fmt(e.metrics[m])))];
    lines.push(
      `test data (${r.data.examples} examples; ${r.data.description}):`,
      formatTable(
        ["variant", "loss", ...metrics],
        [row("float32", float32), row(`${simulated.variant} (simulated, preset tfjs-converter)`, simulated), row(`${saved.variant} (the saved file, read by tf.loadLayersModel)`, saved)],
      ),
    );
    const same = saved.loss === simulated.loss && metrics.every((m) => saved.metrics[m] === simulated.metrics[m]);
    lines.push(same ? "the saved file evaluates exactly as the simulated variant" : "warning: the saved file evaluates differently from the simulated variant (please report this)");
  } else {
    lines.push("accuracy: no test data — give --config <train config> (or --model a run directory) to measure the saved file beside the simulated variant");
  }
  lines.push(`wrote ${rel(r.out)}: model.json, weights.bin (plain tf.loadLayersModel reads them), ${QUANTIZATION_REPORT}`);
  return lines;
}

/** Runs the command; resolves with the exit code. */
export async function quantizeCommand(opts: QuantizeOptions): Promise<number> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const report = await quantizeModel(opts, print);
  for (const line of formatQuantizeReport(report)) print(line);
  print(backendLine());
  return 0;
}
