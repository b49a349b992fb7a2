/**
 * SlotVariables, the per-variable plugin state: followed by variable name while training (the
 * trainable set may change between steps), saved and restored by position.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { SlotVariables } from "@flatfit/core";

const values = (vs: readonly tf.Tensor[]) => vs.map((v) => Array.from(v.dataSync()));

test("a slot follows its variable by name: another order, a variable leaving and coming back, a new one", (t) => {
  const before = tf.memory().numTensors;
  const [a, b, c] = tf.tidy(() => [tf.variable(tf.tensor1d([1, 2]), true, "slots-test-a"), tf.variable(tf.tensor1d([3, 4]), true, "slots-test-b"), tf.variable(tf.tensor1d([5, 6, 7]), true, "slots-test-c")]);
  const slots = new SlotVariables("m");
  const [sa, sb] = slots.ensure([a, b]);
  tf.tidy(() => (sa.assign(tf.tensor1d([10, 20])), sb.assign(tf.tensor1d([30, 40]))));
  t.deepEqual(slots.ensure([b, a]), [sb, sa], "another order: each variable its own slot");
  t.deepEqual(values(slots.ensure([b])), [[30, 40]], "a leaves the step");
  t.deepEqual(Object.keys(slots.state()), ["m/0"], "saved: the last step's variables, by position");
  t.deepEqual(values(slots.ensure([a, b, c], (v) => tf.onesLike(v))), [[10, 20], [30, 40], [1, 1, 1]], "a comes back with its slot; c gets a new one from init");
  t.deepEqual(values(Object.values(slots.state())), [[10, 20], [30, 40], [1, 1, 1]]);
  slots.dispose();
  tf.dispose([a, b, c]);
  t.is(tf.memory().numTensors, before, "no tensor left");
});

test("restored slots are bound by position to the next step's variables (new names, as a reloaded model has); a count that differs is a clear error", (t) => {
  const a = tf.variable(tf.tensor1d([1, 2]), true, "slots-load-a");
  const b = tf.variable(tf.tensor1d([3]), true, "slots-load-b");
  const saved = new SlotVariables("m");
  const [sa, sb] = saved.ensure([a, b]);
  sa.assign(tf.tensor1d([7, 8]));
  sb.assign(tf.tensor1d([9]));
  const state = saved.state();
  const x = tf.variable(tf.tensor1d([0, 0]), true, "slots-load-x");
  const y = tf.variable(tf.tensor1d([0]), true, "slots-load-y");
  const restored = new SlotVariables("m");
  restored.load({ ...state, "other/0": tf.scalar(1) });
  t.true(restored.ready);
  t.deepEqual(values(restored.ensure([x, y])), [[7, 8], [9]]);
  t.deepEqual(values(restored.ensure([y, x])), [[9], [7, 8]], "then by name");
  const wrong = new SlotVariables("m");
  wrong.load(state);
  t.throws(() => wrong.ensure([x]), { message: /^m: state holds 2 slots, the step has 1 variables; restore state only into the model/ });
  for (const s of [saved, restored, wrong]) s.dispose();
  tf.dispose([a, b, x, y]);
});
