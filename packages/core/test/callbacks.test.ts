/**
 * `ff.callbacks()` in every arrangement of fit's `callbacks` that tfjs users write: beside plain
 * `{onEpochEnd, …}` objects (before or after them), beside other callback objects, alone, and with
 * `attach` a single plain object — in `fit` and in `fitDataset`.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type FlatfitHooks } from "@flatfit/core";

const quiet = { logSink: () => {} };

/** Records the epoch each step saw (what ff.callbacks() tells the steps). */
class EpochProbe {
  static readonly id = "epoch-probe";
  epochs: number[] = [];
  apply(hooks: FlatfitHooks): void {
    hooks.beforeStep.tap("epoch-probe", (ctx) => void this.epochs.push(ctx.epoch));
    hooks.gradient.tap("epoch-probe", (oracle) => oracle);
  }
}

/** A callback object of the user's own (a tf.Callback subclass that uses `this`). */
class Recorder extends tf.Callback {
  ends: number[] = [];
  override async onEpochEnd(epoch: number): Promise<void> {
    this.ends.push(epoch);
  }
}

function setup(): { model: tf.Sequential; x: tf.Tensor2D; y: tf.Tensor2D } {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 2, inputShape: [3], activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })],
  });
  const x = tf.randomNormal([8, 3], 0, 1, "float32", 2) as tf.Tensor2D;
  const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 1, 0], "int32"), 2) as tf.Tensor2D;
  return { model, x, y };
}

interface Arrangement {
  name: string;
  list: (ffCallback: tf.Callback, plain: tf.CustomCallbackArgs, own: Recorder) => tf.ModelFitArgs["callbacks"];
  /** Which of the user's callbacks the list holds. */
  plain: boolean;
  own: boolean;
}
type Callbacks = tf.ModelFitArgs["callbacks"];
const ARRANGEMENTS: Arrangement[] = [
  { name: "[ff.callbacks(), {onEpochEnd}]", list: (f, p) => [f, p] as Callbacks, plain: true, own: false },
  { name: "[{onEpochEnd}, ff.callbacks()]", list: (f, p) => [p, f] as Callbacks, plain: true, own: false },
  { name: "[ff.callbacks(), {onEpochEnd}, own tf.Callback]", list: (f, p, o) => [f, p, o] as Callbacks, plain: true, own: true },
  { name: "[{onEpochEnd}, own tf.Callback, ff.callbacks()]", list: (f, p, o) => [p, o, f] as Callbacks, plain: true, own: true },
  { name: "[own tf.Callback, ff.callbacks()]", list: (f, _p, o) => [o, f], plain: false, own: true },
  { name: "ff.callbacks() alone", list: (f) => f, plain: false, own: false },
];

for (const a of ARRANGEMENTS) {
  for (const entry of ["fit", "fitDataset"] as const) {
    test(`${entry} with callbacks: ${a.name}: flatfit's callback and the others all run`, async (t) => {
      const { model, x, y } = setup();
      const ff = await createFlatfit({ seed: 1, plugins: [{ use: EpochProbe }] }, quiet);
      model.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy" });
      const plainEnds: number[] = [];
      const own = new Recorder();
      const callbacks = a.list(ff.callbacks(), { onEpochEnd: async (epoch) => void plainEnds.push(epoch) }, own);
      if (entry === "fit") await model.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, callbacks });
      else {
        const ds = tf.data.zip({ xs: tf.data.array(x.unstack()), ys: tf.data.array(y.unstack()) }).batch(4);
        await model.fitDataset(ds, { epochs: 2, verbose: 0, callbacks });
      }
      t.deepEqual(ff.plugin<EpochProbe>(0).epochs, [0, 0, 1, 1], "steps learned their epoch from ff.callbacks()");
      t.deepEqual(plainEnds, a.plain ? [0, 1] : [], "the plain object's onEpochEnd ran");
      t.deepEqual(own.ends, a.own ? [0, 1] : [], "the user's tf.Callback ran, with its own `this`");
      ff.dispose();
      model.dispose();
      tf.dispose([x, y]);
    });
  }
}

test("attach: a single plain object, or a list of them, as fit's callbacks", async (t) => {
  const { model, x, y } = setup();
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: EpochProbe }] }, quiet);
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  ff.attach(model);
  const ends: number[] = [];
  await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, callbacks: { onEpochEnd: async (e) => void ends.push(e) } });
  await model.fit(x, y, { epochs: 2, initialEpoch: 1, batchSize: 4, verbose: 0, callbacks: [{ onEpochEnd: async (e: number) => void ends.push(e) }, ff.callbacks()] as Callbacks });
  t.deepEqual(ends, [0, 1]);
  t.deepEqual(ff.plugin<EpochProbe>(0).epochs, [0, 0, 1, 1]);
  ff.dispose();
  model.dispose();
  tf.dispose([x, y]);
});

test("lists without flatfit's callback reach tfjs as they are", async (t) => {
  const { model, x, y } = setup();
  await createFlatfit({ seed: 1 }, quiet).then((ff) => ff.callbacks()); // installs the list handling
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  // tfjs itself rejects a callback object followed by a plain object: still its error, untouched
  const err = await t.throwsAsync(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new Recorder(), { onEpochEnd: async () => {} }] as tf.ModelFitArgs["callbacks"] }));
  t.regex(err!.message, /setParams is not a function/);
  model.dispose();
  tf.dispose([x, y]);
});
