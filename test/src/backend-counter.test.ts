/** @flatfit/testing's BackendCounter on the cpu backend: reads counted at the backend, only while watched. */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { BackendCounter } from "@flatfit/testing";

test("BackendCounter counts readSync and read at the backend while watching, and nothing after restore", async (t) => {
  await tf.ready();
  const counter = new BackendCounter(tf.backend());
  const x = tf.tensor1d([1, 2, 3]);
  try {
    x.dataSync(); // not watched
    t.is(counter.reads, 0);
    counter.watch(() => x.dataSync());
    await counter.watch(() => x.data());
    counter.watch(() => x.arraySync());
    t.is(counter.reads, 3);
    t.is(counter.programs, 0, "the cpu backend runs no GPU programs");
  } finally {
    counter.restore();
  }
  counter.watch(() => x.dataSync());
  t.is(counter.reads, 3, "restored: the backend's own methods again");
  x.dispose();
});

test("watchSteps counts the steps of model.fit and no reads inside them (plain tfjs)", async (t) => {
  const counter = new BackendCounter(tf.backend());
  try {
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], activation: "softmax" })] });
    const optimizer = tf.train.sgd(0.1);
    counter.watchSteps(optimizer);
    m.compile({ optimizer, loss: "categoricalCrossentropy" });
    const [x, y] = [tf.ones([8, 3]), tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], "int32"), 2)];
    await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    t.is(counter.steps, 2);
    t.is(counter.reads, 0);
    tf.dispose([x, y]);
    m.dispose();
  } finally {
    counter.restore();
  }
});
