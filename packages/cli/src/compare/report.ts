/** Outcomes of a comparison → the CompareReport that @flatfit/report renders (mean ± std over seeds). */
import * as os from "node:os";
import type { EvalRow } from "@flatfit/core";
import { columns, pairedDifference, stat, type CompareReport, type EvalSummary, type MethodResult, type PairedDifference, type QuantizationSetup } from "@flatfit/report";
import { describeSetup, quantizationSetups, variantName } from "../config/evaluate";
import type { CompareConfig } from "../config/schema";
import { describeModel } from "../model-source";
import { describeOptimizer } from "../optimizer";
import type { TrainOutcome } from "../training/run";
import { describeSchedules, jobId } from "./jobs";

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** One summary per variant (float32, 8bit, …), each number over the seeds; `setupOf` names a variant's quantization setup. */
export function summarizeEvaluations(perSeed: EvalRow[][], setupOf: (variant: string) => string | undefined = () => undefined): EvalSummary[] {
  const variants = perSeed[0]?.map((r) => r.variant) ?? [];
  return variants.map((variant) => {
    const rows = perSeed.map((rs) => rs.find((r) => r.variant === variant)).filter((r): r is EvalRow => r !== undefined);
    const names = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
    return {
      variant,
      ...(rows[0]?.bits !== undefined ? { bits: rows[0].bits } : {}),
      ...(setupOf(variant) !== undefined ? { setup: setupOf(variant) } : {}),
      loss: stat(rows.map((r) => r.loss)),
      metrics: Object.fromEntries(names.map((n) => [n, stat(rows.map((r) => r.metrics[n]))])),
    };
  });
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model?.trim() ?? "unknown cpu";
  return `${cpu} × ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version} (${os.platform()})`;
}

function setup(c: CompareConfig, first: TrainOutcome, workers: number): Record<string, string> {
  const b = c.base;
  const s: Record<string, string> = {
    data: first.data.description + (b.data.labelNoise ? " (counts of the first seed; each seed draws its own noise)" : ""),
    model: describeModel(b.model),
    optimizer: describeOptimizer(b.optimizer),
    training: `${b.epochs} epochs, batch size ${b.batchSize}${c.methods.some((m) => m.batchSize !== undefined || m.epochs !== undefined) ? ` (per method: ${describeSchedules(c)})` : ""}; seeds ${c.seeds.join(", ")} (the same data order and initial weights for every method)`,
  };
  if (b.plugins.length) s["plugins of every method"] = b.plugins.map((p) => p.use).join(", ");
  for (const q of quantizationSetups(b.evaluate)) {
    s[q.name ? `quantization "${q.name}"` : "quantization"] =
      `post-training, weights only, ${describeSetup(q.options)}, at ${q.options.bits.join(", ")} bits (quantize-on-eval), on the test split` + (q.name ? `; columns ${variantName(q, q.options.bits[0])} …` : "");
  }
  if (b.curvature) {
    const c = b.curvature;
    const every = c.perEpoch > 0 ? `; after each epoch with ${c.perEpoch} probes on the first ${c.maxSamples} validation examples` : "";
    s["Hessian trace"] =
      `at the end: Hutchinson, ${c.samples} Rademacher probes (seed ${c.seed}), first ${first.hessianTrace?.maxSamples ?? c.maxSamples} test examples (the same for every run)${every}; ` +
      `vᵀHv from forward and backward differences of gradients (step ${c.relativeStep.toExponential()}·‖W‖), a probe whose two sides disagree (it crosses a ReLU kink) is redrawn; ± in the table is the std over seeds`;
  }
  if (b.landscape) s["loss landscape"] = `${b.landscape.steps}×${b.landscape.steps} grid over ±${b.landscape.range} along two filter-normalized random directions, first ${b.landscape.maxSamples} test examples, first seed`;
  if (b.trainLoss) s["test−train loss"] = "the final float32 model's loss on the test split minus its loss on the whole training split (the labels it trained on), inference mode; ± is the std over seeds";
  s["s / epoch"] = `wall time of an epoch's training and validation, mean over seeds; ${workers} training(s) in parallel`;
  s.backend = first.backend;
  return s;
}

/** The comparison's quantization setups as the report shows them (columns and chart lines). */
function setupsOf(c: CompareConfig): QuantizationSetup[] {
  return quantizationSetups(c.base.evaluate).map((q) => ({ name: q.name, bits: q.options.bits, description: describeSetup(q.options) }));
}

/**
 * Each method's paired difference to the baseline, per column of the summary: the per-seed values
 * of both, matched by seed (a seed either lacks is left out of the pair).
 */
function differences(report: CompareReport, seeds: number[], baseline: MethodResult, m: MethodResult): Record<string, PairedDifference> {
  const bySeed = (r: MethodResult, values: number[]): Array<number | undefined> => seeds.map((s) => values[r.seeds.indexOf(s)]);
  const out: Record<string, PairedDifference> = {};
  for (const col of columns(report)) {
    const a = col.stat(m);
    const b = col.stat(baseline);
    if (a && b) out[col.key] = pairedDifference(bySeed(m, a.values), bySeed(baseline, b.values));
  }
  return out;
}

export function buildCompareReport(c: CompareConfig, outcomes: Map<string, TrainOutcome>, workers: number): CompareReport {
  const setups = quantizationSetups(c.base.evaluate);
  const setupOf = new Map(setups.flatMap((q) => q.options.bits.map((b) => [variantName(q, b), q.name] as const)));
  const methods: MethodResult[] = c.methods.map((m, i) => {
    const ran = c.seeds.filter((s) => outcomes.has(jobId(c, i, s)));
    const outs = ran.map((s) => outcomes.get(jobId(c, i, s))!);
    const traces = outs.map((o) => o.hessianTrace?.value).filter((v): v is number => v !== undefined);
    const gaps = outs.map((o) => (o.trainEvaluation && o.evaluation?.[0] ? o.evaluation[0].loss - o.trainEvaluation.loss : undefined)).filter((v): v is number => v !== undefined);
    return {
      name: m.name,
      plugins: [...m.plugins, ...c.base.plugins],
      seeds: ran,
      histories: outs.map((o) => o.history),
      evaluation: summarizeEvaluations(
        outs.map((o) => o.evaluation ?? []),
        (v) => setupOf.get(v),
      ),
      secondsPerEpoch: stat(outs.map((o) => mean(o.secondsPerEpoch))),
      ...(traces.length === outs.length && traces.length > 0 ? { hessianTrace: stat(traces) } : {}),
      ...(gaps.length === outs.length && gaps.length > 0 ? { lossGap: stat(gaps) } : {}),
      ...(outs[0]?.landscape ? { landscape: outs[0].landscape } : {}),
    };
  });
  const first = outcomes.get(jobId(c, 0, c.seeds[0]))!;
  const report: CompareReport = {
    title: c.title ?? `flatfit compare: ${c.name ?? "methods"}`,
    setup: setup(c, first, workers),
    methods,
    createdAt: new Date().toISOString(),
    machine: machine(),
    metric: "acc",
    quantization: setupsOf(c),
    baseline: c.baseline,
  };
  const base = methods.find((m) => m.name === c.baseline);
  if (base && c.seeds.length > 1) {
    for (const m of methods) if (m !== base) m.differences = differences(report, c.seeds, base, m);
  }
  return report;
}
