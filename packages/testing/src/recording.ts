/**
 * An inner optimizer that records the final gradient flatfit hands it (as float64 arrays keyed
 * by variable name), then applies plain SGD with the given learning rate (0 = weights stay put).
 */
import * as tf from "@tensorflow/tfjs";

export class RecordingOptimizer extends tf.Optimizer {
  static className = "RecordingOptimizer";
  readonly calls: Array<Record<string, number[]>> = [];
  private readonly sgd: tf.SGDOptimizer;

  constructor(readonly learningRate = 0) {
    super();
    this.sgd = tf.train.sgd(learningRate);
  }

  applyGradients(grads: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
    const map: tf.NamedTensorMap = Array.isArray(grads) ? Object.fromEntries(grads.map((g) => [g.name, g.tensor])) : grads;
    const rec: Record<string, number[]> = {};
    for (const [name, t] of Object.entries(map)) rec[name] = Array.from(t.dataSync());
    this.calls.push(rec);
    if (this.learningRate !== 0) this.sgd.applyGradients(map);
  }

  /** The last recorded gradient, concatenated in the given variable order. */
  last(names: string[]): number[] {
    const rec = this.calls[this.calls.length - 1];
    if (!rec) throw new Error("RecordingOptimizer: no step recorded");
    return names.flatMap((n) => rec[n]);
  }

  /** Mean over the first `count` recorded steps (all by default), concatenated in the given variable order. */
  mean(names: string[], count = this.calls.length): number[] {
    if (count < 1 || count > this.calls.length) throw new Error(`RecordingOptimizer.mean: count must be 1…${this.calls.length}, got ${count}`);
    const rows = this.calls.slice(0, count).map((rec) => names.flatMap((n) => rec[n]));
    return rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate };
  }

  override dispose(): void {
    this.sgd.dispose();
  }
}
