/**
 * Guarantees one step off the tested path: a failure anywhere in a step rolls the whole step
 * back; errors name the plugin and the hook; plugin identity; one instance per model; stateful
 * models refused; a closure that draws its batch inside itself caught; `ff.step`'s loss freed by
 * an enclosing tidy; host reads inside a step reported at debug level.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { createFlatfit, FlatfitBackendError, FlatfitPluginError, type FlatfitHooks, type StepContext } from "@flatfit/core";
import { GradientEma } from "./probes";
import { blobs, mlp, weightsOf } from "@flatfit/testing";

const quiet = { logSink: () => {} };

/** Throws from `afterStep` at the step given by `failAt` (after the optimizer moved the weights). */
class ThrowsAfterStep {
  static readonly id = "throws-after-step";
  constructor(readonly options: { failAt: number }) {}
  apply(hooks: FlatfitHooks): void {
    hooks.gradient.tap("throws-after-step", (oracle) => oracle);
    hooks.afterStep.tap("throws-after-step", (ctx: StepContext) => {
      if (ctx.step === this.options.failAt) throw new Error(`boom at step ${ctx.step}`);
    });
  }
}

test("a throw in afterStep rolls the whole step back: weights, Adam's slots and iterations, plugin state, the step counter", async (t) => {
  const { x, y } = blobs(32);
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: GradientEma }, { use: ThrowsAfterStep, failAt: 2 }] }, quiet);
  const model = mlp(5);
  const adam = tf.train.adam(0.05);
  model.compile({ optimizer: adam, loss: "categoricalCrossentropy" });
  ff.attach(model);
  await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 }); // steps 0 and 1
  const before = weightsOf(model);
  const optBefore = (await adam.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
  const emaBefore = Object.values(ff.plugin(0).getState!()).map((s) => Array.from(s.dataSync()));
  const tensors = tf.memory().numTensors;
  const err = await t.throwsAsync(model.trainOnBatch(x, y));
  t.regex(err!.message, /^plugins\[1\] \(throws-after-step\), hook "afterStep": boom at step 2$/);
  t.deepEqual(weightsOf(model), before, "weights as before the step");
  t.deepEqual((await adam.getWeights()).map((w) => Array.from(w.tensor.dataSync())), optBefore, "Adam's iterations and moments as before");
  t.is(adam.iterations, 2);
  t.deepEqual(Object.values(ff.plugin(0).getState!()).map((s) => Array.from(s.dataSync())), emaBefore, "plugin state as before");
  t.is(ff.engine.step, 2, "the step counter did not move");
  t.true(tf.memory().numTensors - tensors <= 2, "nothing beyond what trainOnBatch itself leaves when its step throws");
  ff.dispose();
});

test("errors name their source: the plugin, its position and the hook; a waterfall tap returning undefined is an error", async (t) => {
  const { x, y } = blobs(16);
  class ForgetsToReturn {
    static readonly id = "forgets";
    apply(hooks: FlatfitHooks): void {
      hooks.afterGradient.tap("forgets", () => undefined as unknown as tf.NamedTensorMap);
    }
  }
  class Boom {
    static readonly id = "boom";
    apply(hooks: FlatfitHooks): void {
      hooks.gradient.tap("boom", (oracle) => () => {
        oracle();
        throw new Error("inside the oracle");
      });
    }
  }
  for (const [plugins, pattern] of [
    [[{ use: "nso" }, { use: ForgetsToReturn }], /^plugins\[1\] \(forgets\), hook "afterGradient": the tap returned undefined; an afterGradient tap returns the gradients/],
    [[{ use: Boom }, { use: "grad-l1", lambda: 0.1, unit: "step" }], /^plugins\[0\] \(boom\), hook "gradient": inside the oracle$/],
  ] as const) {
    const ff = await createFlatfit({ seed: 1, plugins: plugins as never }, quiet);
    const m = mlp(2);
    m.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy" });
    const err = await t.throwsAsync(m.fit(x, y, { epochs: 1, verbose: 0 }));
    t.true(err instanceof FlatfitPluginError);
    t.regex(err!.message, pattern);
    ff.dispose();
  }
});

test("a plugin class without static id is rejected at load, naming the field; with one it saves and resumes", async (t) => {
  class NoId {
    apply(): void {}
  }
  const err = await t.throwsAsync(createFlatfit({ plugins: [{ use: NoId }] }, quiet));
  t.regex(err!.message, /plugins\[0\]\.use: the plugin class NoId \(from \(class\)\) has no static id: give it one, e.g\. static id = "my-method"/);
  class SlashId {
    static readonly id = "/abs/path";
    apply(): void {}
  }
  const err2 = await t.throwsAsync(createFlatfit({ plugins: [{ use: SlashId }] }, quiet));
  t.regex(err2!.message, /has static id "\/abs\/path", which is not a plain name/);
});

test("a kernel the backend lacks, met inside a plugin's evaluation, is the backend's error (naming the kernel, the backend and installBackendExtras), not the plugin's; the step is rolled back", async (t) => {
  const { x, y } = blobs(16);
  class NeedsAKernel {
    static readonly id = "needs-a-kernel";
    apply(hooks: FlatfitHooks): void {
      hooks.gradient.tap("needs-a-kernel", (oracle) => () => {
        tf.tidy(() => tf.engine().runKernel("FlatfitTestNoSuchKernel", { x: tf.scalar(1) }, {}));
        return oracle();
      });
    }
  }
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: NeedsAKernel }] }, quiet);
  const m = mlp(2);
  m.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy" });
  const before = weightsOf(m);
  const err = await t.throwsAsync(m.fit(x, y, { epochs: 1, verbose: 0 }));
  t.true(err instanceof FlatfitBackendError, String(err));
  t.false(err instanceof FlatfitPluginError);
  const backend = tf.getBackend(); // cpu, or the suite's second pass's cpu-unfused
  t.true(err!.message.startsWith(`tfjs's "${backend}" backend has no kernel "FlatfitTestNoSuchKernel"`), err!.message);
  t.regex(err!.message, /installBackendExtras\(\) from @flatfit\/backends/);
  t.true((err as FlatfitBackendError).cause.message.includes(`Kernel 'FlatfitTestNoSuchKernel' not registered for backend '${backend}'`));
  t.deepEqual(weightsOf(m), before, "nothing moved");
  ff.dispose();
});

test("DI errors say which constructor parameter lacks a token", async (t) => {
  // a decorated-looking class: design:paramtypes as tsc emits it, options parameter without @inject
  class Options {}
  class Decorated {
    static readonly id = "decorated";
    constructor(readonly options: Options) {}
    apply(): void {}
  }
  Reflect.defineMetadata("design:paramtypes", [Options], Decorated);
  const err = await t.throwsAsync(createFlatfit({ plugins: [{ use: Decorated }] }, quiet));
  t.regex(err!.message, /^plugins\[0\] \(decorated\): tsyringe could not construct the plugin: constructor parameter 0 \(type Options\) has no injection token\. Decorate the options parameter with @inject\(PLUGIN_OPTIONS\)/);
});

test("one flatfit instance per model: a second model is a clear error", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "hero" }] }, quiet);
  const a = mlp(1);
  const b = mlp(2);
  for (const m of [a, b]) m.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  ff.attach(a);
  t.throws(() => ff.attach(b), { message: /already trains model ".*", not ".*"\..*create one instance per model/ });
  ff.dispose();
});

test("a stateful RNN is refused with a message that says why and what to do", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "nso" }] }, quiet);
  const m = tf.sequential({ layers: [tf.layers.lstm({ units: 4, stateful: true, batchInputShape: [2, 3, 1], name: "my_lstm" }), tf.layers.dense({ units: 1 })] });
  m.compile({ optimizer: "sgd", loss: "meanSquaredError" });
  t.throws(() => ff.attach(m), { message: /layer "my_lstm" is stateful \(stateful: true\).*Train it with stateful: false, or without gradient plugins/ });
  ff.dispose();
});

test("a loss closure that draws its batch inside itself is caught (it would give each evaluation of a step another batch)", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "hero" }] }, quiet);
  const m = mlp(3);
  const opt = tf.train.sgd(0.1);
  let i = 0;
  const nextBatch = () => blobs(16, 4, 3, 100 + i++); // a fresh batch on every call, as tfjs's mnist-core example draws it
  const closure = () =>
    tf.tidy(() => {
      const { x, y } = nextBatch();
      return tf.losses.softmaxCrossEntropy(y, m.apply(x) as tf.Tensor) as tf.Scalar;
    });
  const before = weightsOf(m);
  t.throws(() => ff.step(closure, undefined, opt), { message: /uploaded different float32\[16,4\] data on a repeated evaluation.*draw the batch BEFORE/ });
  t.deepEqual(weightsOf(m), before, "nothing moved");
  // drawn before the step, it trains
  const { x, y } = nextBatch();
  t.notThrows(() => ff.step(() => tf.losses.softmaxCrossEntropy(y, m.apply(x) as tf.Tensor) as tf.Scalar, undefined, opt).dispose());
  ff.dispose();
});

test("ff.step's loss belongs to the caller's scope: in a tf.tidy, steps leak nothing", async (t) => {
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "nso" }] }, quiet);
  const w = tf.variable(tf.tensor1d([1, -2, 3]), true, "tidy_w");
  const opt = tf.train.sgd(0.1);
  const lossFn = () => tf.sum(tf.square(w)) as tf.Scalar;
  tf.tidy(() => void ff.step(lossFn, [w], opt));
  const after = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.tidy(() => void ff.step(lossFn, [w], opt));
  t.is(tf.memory().numTensors, after);
  w.dispose();
  ff.dispose();
});

test("logLevel debug reports device→host reads inside a step, with where they came from", async (t) => {
  const lines: string[] = [];
  class Reads {
    static readonly id = "reads";
    apply(hooks: FlatfitHooks): void {
      hooks.afterGradient.tap("reads", (grads) => {
        for (const g of Object.values(grads)) g.dataSync();
        return grads;
      });
    }
  }
  const ff = await createFlatfit({ seed: 1, logLevel: "debug", plugins: [{ use: Reads }] }, { logSink: (_l, m) => void lines.push(m) });
  const w = tf.variable(tf.tensor1d([1, 2]), true, "reads_w");
  ff.step(() => tf.sum(tf.square(w)) as tf.Scalar, [w], tf.train.sgd(0.1)).dispose();
  t.true(lines.some((l) => /step 0: 1 device→host read\(s\) inside the step \(.*core-guarantees/.test(l)), lines.join("\n"));
  w.dispose();
  ff.dispose();
});

/** Records `ctx.epoch` at every step; listed first, it counts the base oracle's evaluations. */
class EpochProbe {
  static readonly id = "epoch-probe";
  readonly seen: number[] = [];
  evaluations = 0;
  apply(hooks: FlatfitHooks): void {
    hooks.beforeStep.tap("epoch-probe", (ctx: StepContext) => {
      this.seen.push(ctx.epoch);
    });
    hooks.gradient.tap("epoch-probe", (oracle) => () => {
      this.evaluations++;
      return oracle();
    });
  }
}

test("trainOnBatch loops set ff.epoch, and epoch-scheduled options fire at that epoch (grad-l1 from: 1 takes its second gradient from epoch 1 on)", async (t) => {
  const { x, y } = blobs(16);
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: EpochProbe }, { use: "grad-l1", lambda: 0.01, from: 1 }] }, quiet);
  const probe = ff.plugin<EpochProbe>(0);
  const model = mlp(7);
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  ff.attach(model);
  const perEpoch: number[] = [];
  for (let epoch = 0; epoch < 3; epoch++) {
    ff.epoch = epoch;
    const before = probe.evaluations;
    for (let b = 0; b < 2; b++) await model.trainOnBatch(x, y);
    perEpoch.push(probe.evaluations - before);
  }
  t.deepEqual(probe.seen, [0, 0, 1, 1, 2, 2]);
  t.deepEqual(perEpoch, [2, 4, 4], "one gradient per step in epoch 0, grad-l1's two from epoch 1 on");
  t.is(ff.epoch, 2);
  t.throws(() => (ff.epoch = -1), { message: /ff\.epoch: expected an integer >= 0 \(got -1\)/ });
  t.throws(() => (ff.epoch = 1.5), { message: /ff\.epoch: expected an integer >= 0/ });
  t.is(ff.epoch, 2, "a rejected value changes nothing");
  ff.dispose();
});

test("with no gradient plugin the step is plain tfjs's: a stateful LSTM attaches and trains (plugins [] or only quantize-on-eval)", async (t) => {
  for (const plugins of [[], [{ use: "quantize-on-eval", bits: [8] }]]) {
    const ff = await createFlatfit({ seed: 1, plugins }, quiet);
    const m = tf.sequential({ layers: [tf.layers.lstm({ units: 3, stateful: true, batchInputShape: [2, 4, 1] }), tf.layers.dense({ units: 1 })] });
    m.compile({ optimizer: tf.train.sgd(0.05), loss: "meanSquaredError" });
    t.notThrows(() => ff.attach(m), JSON.stringify(plugins));
    const x = tf.randomNormal([2, 4, 1], 0, 1, "float32", 3);
    const y = tf.randomNormal([2, 1], 0, 1, "float32", 4);
    const h = await m.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    t.true((h.history.loss as number[]).every(Number.isFinite));
    tf.dispose([x, y]);
    m.dispose();
    ff.dispose();
  }
});

test("fitDataset reads only validationBatches of a validation Dataset that has no end (as tfjs does), and the variants land in the logs", async (t) => {
  let pulled = 0;
  const ds = tf.data
    .generator(function* () {
      for (;;) {
        pulled++;
        if (pulled > 10000) throw new Error("the validation Dataset was read without bound");
        yield { xs: tf.randomNormal([4], 0, 1, "float32", pulled), ys: tf.oneHot(pulled % 3, 3) };
      }
    })
    .batch(8);
  const ff = await createFlatfit({ seed: 1, plugins: [{ use: "quantize-on-eval", bits: [8] }] }, quiet);
  const m = mlp(5);
  m.compile({ optimizer: tf.train.sgd(0.05), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  ff.attach(m);
  const h = await m.fitDataset(ds, { epochs: 2, batchesPerEpoch: 2, validationData: ds, validationBatches: 3, verbose: 0 });
  t.is((h.history["val_acc@8bit"] as number[]).length, 2);
  // training: 2 epochs × 2 batches; tfjs's validation: 2 × 3 batches; flatfit's: 3 batches once per run
  t.true(pulled <= (2 * 2 + 2 * 3 + 3) * 8 + 8, `${pulled} elements pulled`);
  t.throws(() => ff.callbacks({ validationData: ds, validationBatches: 0 }), { message: /validationBatches.*integer > 0 \(got 0\)/ });
  m.dispose();
  ff.dispose();
});
