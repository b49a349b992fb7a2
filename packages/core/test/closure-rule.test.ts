/**
 * A loss closure that draws its data inside itself breaks the closure rule. flatfit's guard
 * catches it on the step's second evaluation, which a plugin's oracle makes; the error is the
 * closure's, raised as a FlatfitClosureError, not wrapped as an error of that plugin.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, FlatfitClosureError, FlatfitPluginError, type FlatfitHooks } from "@flatfit/core";

const quiet = { logSink: () => {} };

/** Takes the gradient twice, as every gradient method does (HERO: three times). */
class TwoEvaluations {
  static readonly id = "two-evaluations";
  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap("two-evaluations", (oracle) => () => {
      oracle();
      return oracle();
    });
  }
}

test("a closure that draws its batch inside itself: a FlatfitClosureError naming the closure rule, not a plugin's error", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: TwoEvaluations }] }, quiet);
  const w = tf.variable(tf.randomNormal([4, 2], 0, 1, "float32", 1), true, "closure_rule_w");
  const opt = tf.train.sgd(0.1);
  let seed = 100;
  const drawsInside = () =>
    tf.tidy(() => {
      const x = tf.tensor2d(Array.from({ length: 32 }, (_, i) => Math.sin(seed * 31 + i)), [8, 4]);
      seed++;
      return tf.mean(tf.square(tf.matMul(x, w))) as tf.Scalar;
    });
  const before = Array.from(w.dataSync());
  const err = t.throws(() => ff.step(drawsInside, [w], opt));
  t.true(err instanceof FlatfitClosureError, `${err?.name}: ${err?.message}`);
  t.false(err instanceof FlatfitPluginError);
  t.is(err!.name, "FlatfitClosureError");
  t.notRegex(err!.message, /plugins\[0\]|hook "gradient"/, "not attributed to the plugin");
  t.regex(err!.message, /uploaded different float32\[8,4\] data on a repeated evaluation within one step/);
  t.regex(err!.message, /draw the batch BEFORE optimizer\.minimize \/ ff\.step/);
  t.regex(err!.message, /closure rule \(README, "Use it in your own script" → "The closure rule"\)/);
  t.deepEqual(Array.from(w.dataSync()), before, "nothing moved");
  // through the wrapped optimizer's minimize, the same error
  t.throws(() => ff.wrap(opt).minimize(drawsInside, false, [w]), { instanceOf: FlatfitClosureError });
  w.dispose();
  ff.dispose();
});
