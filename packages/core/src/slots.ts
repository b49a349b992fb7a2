/**
 * Per-variable plugin state (an EMA, a previous value…). While training, a slot follows its
 * variable by name: when the step's trainable set changes (a layer frozen or unfrozen between
 * fits), each variable keeps its own slot, a slot whose variable left the step is kept until it
 * returns, and a new variable gets a new slot. Saved by POSITION in the last step's variable list
 * (`<name>/<index>`), because a model loaded from disk gets new variable names while `model.fit`
 * passes its trainable variables in the same order; loaded slots are bound to the next step's
 * variables by position.
 */
import * as tf from "@tensorflow/tfjs";

export class SlotVariables {
  private byName = new Map<string, tf.Variable>();
  /** The variable names of the last `ensure`, in order: what `state` saves. */
  private order: string[] = [];
  /** Slots from `load`, bound to the next `ensure`'s variables by position. */
  private loaded: tf.Variable[] = [];

  constructor(readonly name: string) {}

  /** The slots for `variables` (created with `init` the first time a variable is seen; zeros by default). */
  ensure(variables: readonly tf.Variable[], init: (v: tf.Variable) => tf.Tensor = (v) => tf.zerosLike(v)): tf.Variable[] {
    if (this.loaded.length > 0) {
      if (this.loaded.length !== variables.length) {
        throw new Error(`${this.name}: state holds ${this.loaded.length} slots, the step has ${variables.length} variables; restore state only into the model (and variable order) it was saved from`);
      }
      variables.forEach((v, i) => this.byName.set(v.name, this.loaded[i]));
      this.loaded = [];
    }
    this.order = variables.map((v) => v.name);
    return variables.map((v) => {
      let slot = this.byName.get(v.name);
      if (slot && !tf.util.arraysEqual(slot.shape, v.shape)) {
        slot.dispose(); // a variable of that name with another shape is another variable
        slot = undefined;
      }
      if (!slot) {
        slot = tf.tidy(() => tf.variable(init(v), false));
        this.byName.set(v.name, slot);
      }
      return slot;
    });
  }

  /** True once slots exist (after the first step, or after `load`). */
  get ready(): boolean {
    return this.byName.size > 0 || this.loaded.length > 0;
  }

  /** The slots of the last step's variables as saved state: `{ "<name>/0": …, "<name>/1": … }`. */
  state(): tf.NamedTensorMap {
    const slots = this.loaded.length > 0 ? this.loaded : this.order.map((n) => this.byName.get(n)!);
    const out: tf.NamedTensorMap = {};
    slots.forEach((s, i) => (out[`${this.name}/${i}`] = s));
    return out;
  }

  /** Loads the entries of `state` named `<name>/<index>` (others are ignored). */
  load(state: tf.NamedTensorMap): void {
    const mine = Object.keys(state)
      .filter((k) => k.startsWith(`${this.name}/`) && /^\d+$/.test(k.slice(this.name.length + 1)))
      .sort((a, b) => Number(a.slice(this.name.length + 1)) - Number(b.slice(this.name.length + 1)));
    if (mine.length === 0) return;
    this.dispose();
    this.loaded = mine.map((k) => tf.variable(tf.clone(state[k]), false));
  }

  dispose(): void {
    tf.dispose([...this.byName.values(), ...this.loaded]);
    this.byName.clear();
    this.loaded = [];
    this.order = [];
  }
}
