/**
 * Evaluation side: one quantized evaluation (quantize, evaluate, restore) against plain
 * `model.evaluate`, and the marginal cost of one `hessianTrace` probe against one gradient
 * evaluation of the same loss.
 */
import * as tf from "@tensorflow/tfjs";
import { hessianTrace, modelLoss, modelVariables } from "@flatfit/metrics";
import { evaluateQuantized } from "@flatfit/plugin-quantize-on-eval";
import { cnnProblem, mlpProblem, type Problem } from "../problems";
import { sideBySide, table } from "../timing";

async function quantizedRow(p: Problem, repeats: number): Promise<(string | number)[]> {
  const m = p.build();
  m.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const plain = async () => {
    const t0 = performance.now();
    const out = m.evaluate(p.x, p.y, { batchSize: 256 }) as tf.Scalar[];
    await Promise.all(out.map((s) => s.data()));
    tf.dispose(out);
    return performance.now() - t0;
  };
  const quantized = async () => {
    const t0 = performance.now();
    await evaluateQuantized(m, p.x, p.y, { bits: 4, batchSize: 256 });
    return performance.now() - t0;
  };
  const ms = await sideBySide([{ name: "plain", run: plain }, { name: "4bit", run: quantized }], repeats);
  const r = ms.get("4bit")! / ms.get("plain")!;
  m.dispose();
  return [`4-bit evaluation vs \`model.evaluate\` (${p.name}, ${p.x.shape[0]} examples)`, ms.get("plain")!.toFixed(1), ms.get("4bit")!.toFixed(1), r.toFixed(2), `${r <= 1.2 ? "✓" : "✗"} ≤ 1.2`];
}

async function probeRow(p: Problem, repeats: number): Promise<(string | number)[]> {
  const m = p.build();
  m.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy" });
  const x = p.x.slice(0, 256);
  const y = p.y.slice(0, 256);
  const loss = modelLoss(m, x, y);
  const vars = modelVariables(m);
  const few = 4;
  const many = 12;
  const gradient = async () => {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(loss, vars);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
    return performance.now() - t0;
  };
  // marginal cost of a probe: (time with `many` probes − time with `few`) / (many − few)
  const trace = (samples: number) => async () => {
    const t0 = performance.now();
    await hessianTrace(loss, vars, { samples, seed: 1 });
    return performance.now() - t0;
  };
  const ms = await sideBySide(
    [
      { name: "gradient", run: gradient },
      { name: "few", run: trace(few) },
      { name: "many", run: trace(many) },
    ],
    repeats,
  );
  const probe = (ms.get("many")! - ms.get("few")!) / (many - few);
  const r = probe / ms.get("gradient")!;
  m.dispose();
  tf.dispose([x, y]);
  return [`one \`hessianTrace\` probe vs one gradient evaluation (${p.name}, 256 examples)`, ms.get("gradient")!.toFixed(1), probe.toFixed(1), r.toFixed(2), `${r <= 1.3 ? "✓" : "✗"} ≤ 1.3`];
}

export async function evaluationCase(repeats: number): Promise<string> {
  const rows: (string | number)[][] = [];
  for (const p of [mlpProblem(), cnnProblem()]) {
    rows.push(await quantizedRow(p, repeats));
    rows.push(await probeRow(p, repeats));
  }
  return [
    `### Evaluation side (median of ${repeats})`,
    "",
    table(["measurement", "baseline ms", "ms", "ratio", "target"], rows),
    "",
    "A probe's cost is marginal: the difference between `hessianTrace` with 12 and with 4 probes, over 8",
    "(forward differences share ∇L(W) across the probes of one measurement).",
  ].join("\n");
}
