/**
 * What is measured on the test data once training ends: every evaluation variant (float32, and
 * the quantized bit-widths of quantize-on-eval), the Hessian trace (Hutchinson, on a fixed test
 * subset with fixed probes, so that runs compare), and a 2-D loss-landscape slice.
 */
import type * as tf from "@tensorflow/tfjs";
import { createFlatfit, type EvalRow, type Flatfit } from "@flatfit/core";
import { modelLossLandscape } from "@flatfit/metrics";
import type { LandscapeGrid } from "@flatfit/report";
import type { CurvatureSpec, LandscapeSpec, TrainConfig } from "../config/schema";

import { modelTrace, type TraceRecord } from "./trace";

type Data = { x: tf.Tensor; y: tf.Tensor };

/**
 * `ff.evaluate` on the test data. When the run's plugins do not include quantize-on-eval but
 * `evaluate.bits` lists bit-widths, an evaluation-only instance with that plugin adds their rows.
 */
export async function evaluateRun(ff: Flatfit, model: tf.LayersModel, test: Data, evaluate: TrainConfig["evaluate"]): Promise<EvalRow[]> {
  if (ff.pluginIds.includes("quantize-on-eval") || evaluate.bits.length === 0) {
    return ff.evaluate(model, test.x, test.y, { batchSize: evaluate.batchSize });
  }
  const q = await createFlatfit({ logLevel: "warn", plugins: [{ use: "quantize-on-eval", bits: evaluate.bits }] });
  try {
    return await q.evaluate(model, test.x, test.y, { batchSize: evaluate.batchSize });
  } finally {
    q.dispose();
  }
}

export async function measureTrace(model: tf.LayersModel, test: Data, spec: CurvatureSpec): Promise<TraceRecord> {
  return modelTrace(model, test.x, test.y, spec);
}

export async function measureLandscape(model: tf.LayersModel, test: Data, spec: LandscapeSpec): Promise<LandscapeGrid> {
  const maxSamples = Math.min(spec.maxSamples, test.x.shape[0]);
  const r = await modelLossLandscape(model, test.x, test.y, { dims: 2, steps: spec.steps, range: spec.range, seed: spec.seed, maxSamples });
  return { alphas: r.alphas, betas: r.betas ?? [0], values: r.values };
}
