/**
 * What is measured on the test data once training ends: every evaluation variant (float32, and
 * each quantization setup of the `evaluate` block at each of its bit-widths), the Hessian trace (Hutchinson, on a fixed test
 * subset with fixed probes, so that runs compare), and a 2-D loss-landscape slice.
 */
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type EvalRow, type Flatfit, type LogSink } from "@flatfit/core";
import { modelLossLandscape } from "@flatfit/metrics";
import type { LandscapeGrid } from "@flatfit/report";
import { quantizationPlugins } from "../config/evaluate";
import type { CurvatureSpec, LandscapeSpec, TrainConfig } from "../config/schema";

import { modelTrace, type TraceRecord } from "./trace";

type Data = { x: tf.Tensor; y: tf.Tensor };

/**
 * The test evaluation: `ff.evaluate` of the run's instance (float32, and rows of any third-party
 * plugin that taps `eval`), then every quantization setup of the `evaluate` block — the CLI's one
 * quantization path. With `perEpoch` the run's instance already holds the setups' quantize-on-eval
 * plugins (they log after each epoch); otherwise an evaluation-only instance with them adds the rows.
 */
export async function evaluateRun(ff: Flatfit, model: tf.LayersModel, test: Data, evaluate: TrainConfig["evaluate"], logSink?: LogSink): Promise<EvalRow[]> {
  const rows = await ff.evaluate(model, test.x, test.y, { batchSize: evaluate.batchSize });
  const plugins = quantizationPlugins(evaluate);
  if (evaluate.perEpoch || plugins.length === 0) return rows;
  const q = await createFlatfit({ logLevel: "warn", plugins }, logSink ? { logSink } : {});
  try {
    rows.push(...(await q.evaluate(model, test.x, test.y, { batchSize: evaluate.batchSize })).slice(1));
    return rows;
  } finally {
    q.dispose();
  }
}

/** The float32 model's loss and metrics on one split (e.g. the training split, for the test−train loss gap). */
export async function evaluateSplit(model: tf.LayersModel, split: Data, batchSize: number): Promise<{ loss: number; metrics: Record<string, number> }> {
  const out = model.evaluate(split.x, split.y, { batchSize });
  const values = await Promise.all((Array.isArray(out) ? out : [out]).map(async (t) => (await t.data())[0]));
  tf.dispose(out);
  const names = model.metricsNames;
  return { loss: values[0], metrics: Object.fromEntries(names.slice(1).map((n, i) => [n, values[i + 1]])) };
}

export async function measureTrace(model: tf.LayersModel, test: Data, spec: CurvatureSpec): Promise<TraceRecord> {
  return modelTrace(model, test.x, test.y, spec);
}

export async function measureLandscape(model: tf.LayersModel, test: Data, spec: LandscapeSpec): Promise<LandscapeGrid> {
  const maxSamples = Math.min(spec.maxSamples, test.x.shape[0]);
  const r = await modelLossLandscape(model, test.x, test.y, { dims: 2, steps: spec.steps, range: spec.range, seed: spec.seed, maxSamples });
  return { alphas: r.alphas, betas: r.betas ?? [0], values: r.values };
}
