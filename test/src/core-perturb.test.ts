import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { VariablePerturber } from "@flatfit/core";

const values = (x: tf.Tensor) => Array.from(x.dataSync());

function variables() {
  const a = tf.variable(tf.tensor2d([[1, -2], [3.5, 0.25]]), true, "perturb/a");
  const b = tf.variable(tf.tensor1d([0.1, 0.2, 0.3]), true, "perturb/b");
  return { a, b, at: new VariablePerturber([a, b]), dispose: () => tf.dispose([a, b]) };
}

test("evaluateWith: inside, each variable holds the weights its move gave (none: unchanged); after, the old values bit for bit, and no tensor left", (t) => {
  const { a, b, at, dispose } = variables();
  const [a0, b0] = [values(a), values(b)];
  const n0 = tf.memory().numTensors;
  const inside = at.evaluateWith(
    (v, index) => (index === 0 ? tf.mul(v, 3) : undefined),
    () => [values(a), values(b)],
  );
  t.deepEqual(inside[0], a0.map((x) => Math.fround(3 * x)));
  t.deepEqual(inside[1], b0, "a variable whose move gives undefined stays");
  t.deepEqual([values(a), values(b)], [a0, b0]);
  t.is(tf.memory().numTensors, n0, "moved weights and saved buffers are all disposed");
  dispose();
});

test("evaluateWith and evaluateAt: weights of another shape, or an unknown name, are an error that names the variable and the shapes, and nothing stays moved", (t) => {
  const { a, b, at, dispose } = variables();
  const [a0, b0] = [values(a), values(b)];
  const n0 = tf.memory().numTensors;
  const err = t.throws(() => at.evaluateWith((v, index) => (index === 0 ? tf.add(v, 1) : tf.zeros([2])), () => t.fail("fn must not run")));
  t.regex(err!.message, /"perturb\/b" must have its shape \[3\], got \[2\]/);
  t.deepEqual([values(a), values(b)], [a0, b0], "the first variable, already moved, is restored");
  const shape = t.throws(() => at.evaluateAt({ "perturb/a": tf.ones([4]) }, () => 0));
  t.regex(shape!.message, /offset for "perturb\/a" must have its shape \[2,2\], got \[4\]/);
  const unknown = t.throws(() => at.evaluateAt({ nope: tf.ones([3]) }, () => 0));
  t.regex(unknown!.message, /"nope" is not a trainable variable of this step \(have: perturb\/a, perturb\/b\)/);
  t.deepEqual([values(a), values(b)], [a0, b0]);
  t.is(tf.memory().numTensors, n0 + 2, "only the two offsets this test made (theirs to dispose)");
  dispose();
});

test("evaluateAt moves by exactly float32's W + δ, restores bit for bit also when fn throws", (t) => {
  const { a, b, at, dispose } = variables();
  const [a0, b0] = [values(a), values(b)];
  const delta = tf.tensor1d([1e-8, 0.5, -0.3]);
  const inside = at.evaluateAt({ "perturb/b": delta }, () => values(b));
  t.deepEqual(inside, b0.map((x, i) => Math.fround(x + values(delta)[i])));
  t.throws(() => at.evaluateAt({ "perturb/b": delta }, () => { throw new Error("boom"); }), { message: "boom" });
  t.deepEqual([values(a), values(b)], [a0, b0]);
  delta.dispose();
  dispose();
});
