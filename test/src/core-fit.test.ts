import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, type FlatfitHooks, type GradientOracle, type StepContext } from "@flatfit/core";
import { blobs, bnDropoutModel, checkFitContract, HostReadCounter, RecordingOptimizer, weightsOf, withSeededMathRandom } from "@flatfit/testing";
import { Recorder, ThreePerturbed, ThrowsMidway } from "./probes";

const quiet = { logSink: () => {} };
const compile = (m: tf.LayersModel, optimizer: tf.Optimizer) =>
  m.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });

test("3 perturbed evaluations per step: BN statistics, reported loss, host reads and tensors as plain fit", async (t) => {
  await checkFitContract(t, [{ use: ThreePerturbed }]);
});

test("with learning rate 0, every trainable weight is bit-identical after steps with perturbed evaluations", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: ThreePerturbed }] }, quiet);
  const { x, y } = blobs(32);
  const model = bnDropoutModel(2);
  compile(model, ff.wrap(tf.train.sgd(0)));
  const trainable = () => model.trainableWeights.map((w) => Array.from(w.read().dataSync()));
  const before = trainable();
  await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  t.deepEqual(trainable(), before);
});

test("with no plugins, fit through wrap gives bit-identical weights to plain fit", async (t) => {
  const { x, y } = blobs(64);
  const run = async (wrap: boolean) => {
    const ff = await createFlatfit({ seed: 1 }, quiet);
    const model = bnDropoutModel(4);
    const adam = tf.train.adam(0.01);
    compile(model, wrap ? ff.wrap(adam) : adam);
    await withSeededMathRandom(9, () => model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 }));
    return weightsOf(model);
  };
  const plain = await run(false);
  const wrapped = await run(true);
  t.deepEqual(wrapped, plain);
});

test("an error thrown inside a perturbed evaluation reaches the caller; weights bit-identical; no tensors leaked", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: ThrowsMidway, failAt: 0 }] }, quiet);
  const { x, y } = blobs(32);
  const model = bnDropoutModel(3);
  compile(model, ff.wrap(tf.train.sgd(0.1)));
  const before = weightsOf(model);

  // what plain fit itself leaves behind when its optimizer throws (its shuffled index tensor)
  const plain = bnDropoutModel(3);
  const throwing = tf.train.sgd(0.1);
  throwing.minimize = () => {
    throw new Error("plain optimizer fails");
  };
  compile(plain, throwing);
  const plainBefore = tf.memory().numTensors;
  await t.throwsAsync(plain.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 }));
  const fitOwnLeak = tf.memory().numTensors - plainBefore;

  const tensors = tf.memory().numTensors;
  await t.throwsAsync(model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 }), { message: /boom inside a perturbed evaluation/ });
  t.deepEqual(weightsOf(model), before, "weights and BN statistics unchanged");
  t.is(tf.memory().numTensors - tensors, fitOwnLeak, "flatfit leaves nothing beyond what plain fit leaves");

  // the same through a custom loop
  const w = tf.variable(tf.tensor1d([1, 2, 3]), true, "throws_w");
  const w0 = Array.from(w.dataSync());
  const sgd = tf.train.sgd(0.1);
  const count = tf.memory().numTensors;
  t.throws(() => ff.step(() => tf.sum(tf.square(w)), [w], sgd), { message: /boom/ });
  t.deepEqual(Array.from(w.dataSync()), w0);
  t.is(tf.memory().numTensors, count);
});

test("a plugin that evaluates inside a tf.tidy of its own still leaves fit the clean loss", async (t) => {
  class TidyInside {
    static id = "tidy-inside";
    apply(hooks: FlatfitHooks): void {
      hooks.gradient.tap("tidy-inside", (oracle: GradientOracle, ctx: StepContext) => () =>
        tf.tidy(() => {
          const offsets: tf.NamedTensorMap = {};
          for (const v of ctx.variables) offsets[v.name] = tf.onesLike(v);
          return ctx.evaluateAt(offsets, oracle);
        }),
      );
    }
  }
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: TidyInside }] }, quiet);
  const w = tf.variable(tf.tensor1d([1, 2]), true, "tidy_w");
  const loss = ff.step(() => tf.sum(tf.square(w)), [w], tf.train.sgd(0));
  t.false(loss.isDisposed);
  t.is(loss.dataSync()[0], 5, "the loss at the unperturbed weights");
  loss.dispose();
  await checkFitContract(t, [{ use: TidyInside }]);
});

test("no device→host reads inside a step with a perturbing plugin (custom loop)", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: ThreePerturbed }] }, quiet);
  const w = tf.variable(tf.randomNormal([8, 4], 0, 1, "float32", 1), true, "reads_w");
  const x = tf.randomNormal([16, 8], 0, 1, "float32", 2);
  const opt = tf.train.momentum(0.1, 0.9);
  const reads = new HostReadCounter();
  try {
    for (let i = 0; i < 3; i++) reads.watch(() => ff.step(() => tf.mean(tf.square(tf.matMul(x, w))), [w], opt).dispose());
  } finally {
    reads.restore();
  }
  t.is(reads.count, 0);
});

test("a learning rate set on the wrapper (as schedulers do) reaches the inner optimizer", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: ThreePerturbed }] }, quiet);
  const inner = tf.train.sgd(0.1);
  const wrapped = ff.wrap(inner);
  wrapped.learningRate = 0;
  const w = tf.variable(tf.tensor1d([1, -2]), true, "lr_w");
  ff.step(() => tf.sum(tf.square(w)), [w]).dispose();
  t.deepEqual(Array.from(w.dataSync()), [1, -2], "lr 0 took effect: no move");
  wrapped.learningRate = 0.25;
  t.is(inner.getConfig().learningRate, 0.25);
  const rec = new RecordingOptimizer(0.5);
  const ff2 = await createFlatfit({}, quiet);
  const w2 = ff2.wrap(rec);
  t.is(w2.learningRate, 0.5);
});

test("attach(model) wraps the optimizer and feeds every fit's epochs to the steps", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: Recorder }] }, quiet);
  const { x, y } = blobs(32);
  const model = bnDropoutModel(5);
  compile(model, tf.train.sgd(0.05));
  ff.attach(model);
  await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
  const rec = ff.plugin<Recorder>(0);
  t.deepEqual(rec.seen.map((s) => s.epoch), [0, 0, 1, 1, 2, 2]);
  t.deepEqual(rec.seen.map((s) => s.step), [0, 1, 2, 3, 4, 5]);
});

test("the same seed repeats a noisy run exactly; another seed does not", async (t) => {
  const { x, y } = blobs(32);
  const run = async (seed: number) => {
    const ff = await createFlatfit({ seed, plugins: [{ use: ThreePerturbed }] }, quiet);
    const model = bnDropoutModel(6);
    compile(model, ff.wrap(tf.train.sgd(0.1)));
    await withSeededMathRandom(1, () => model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 }));
    return weightsOf(model);
  };
  const a = await run(7);
  t.deepEqual(await run(7), a);
  t.notDeepEqual(await run(8), a);
});
