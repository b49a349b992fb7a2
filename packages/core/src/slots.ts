/**
 * Per-variable plugin state (an EMA, a previous value…), kept by POSITION in the step's variable
 * list rather than by variable name: a model loaded from disk gets new variable names, but
 * `model.fit` passes its trainable variables in the same order. Saved as `<name>/<index>`.
 */
import * as tf from "@tensorflow/tfjs";

export class SlotVariables {
  private slots: tf.Variable[] = [];

  constructor(readonly name: string) {}

  /** The slots for `variables` (created with `init` the first time; zeros by default). */
  ensure(variables: readonly tf.Variable[], init: (v: tf.Variable) => tf.Tensor = (v) => tf.zerosLike(v)): tf.Variable[] {
    if (this.slots.length !== 0 && this.slots.length !== variables.length) {
      throw new Error(`${this.name}: state holds ${this.slots.length} slots, the step has ${variables.length} variables`);
    }
    if (this.slots.length === 0) this.slots = variables.map((v) => tf.tidy(() => tf.variable(init(v), false)));
    return this.slots;
  }

  /** True once slots exist (after the first step, or after `load`). */
  get ready(): boolean {
    return this.slots.length > 0;
  }

  /** The slots as saved state: `{ "<name>/0": …, "<name>/1": … }`. */
  state(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    this.slots.forEach((s, i) => (out[`${this.name}/${i}`] = s));
    return out;
  }

  /** Loads the entries of `state` named `<name>/<index>` (others are ignored). */
  load(state: tf.NamedTensorMap): void {
    const mine = Object.keys(state)
      .filter((k) => k.startsWith(`${this.name}/`) && /^\d+$/.test(k.slice(this.name.length + 1)))
      .sort((a, b) => Number(a.slice(this.name.length + 1)) - Number(b.slice(this.name.length + 1)));
    if (mine.length === 0) return;
    this.dispose();
    this.slots = mine.map((k) => tf.variable(tf.clone(state[k]), false));
  }

  dispose(): void {
    tf.dispose(this.slots);
    this.slots = [];
  }
}
