/** Checks every plugin's tests share: option errors, training a small problem, saving in memory. */
import * as tf from "@tensorflow/tfjs";
import type { ExecutionContext } from "ava";
import { createFlatfit, FlatfitConfigError, type Flatfit, type PluginSpec } from "@flatfit/core";
import { blobs, mlp } from "./models";
import { withSeededMathRandom } from "./prng";

/** The message of the FlatfitConfigError that `{use: id, ...options}` causes (throws if none). */
export async function pluginConfigError(id: string, options: Record<string, unknown>): Promise<string> {
  const err = await createFlatfit({ logLevel: "silent", plugins: [{ use: id, ...options }] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FlatfitConfigError)) throw new Error(`expected a FlatfitConfigError for ${id} ${JSON.stringify(options)}, got ${String(err)}`);
  return err.message;
}

export interface TrainOptions {
  seed?: number;
  epochs?: number;
  learningRate?: number;
  /** Accuracy the run must reach (chance is 1/3 on the 3 blobs). */
  minAccuracy?: number;
  /** Further checks on the trained instance, before it is disposed. */
  inspect?: (ff: Flatfit) => void;
}

/** Trains the seeded MLP on 3 Gaussian blobs through `model.fit` with `plugins`; asserts it learned. */
export async function checkTrainsBetterThanChance(t: ExecutionContext, plugins: PluginSpec[], opts: TrainOptions = {}): Promise<number> {
  const { x, y } = blobs(96);
  const model = mlp(2);
  const ff = await createFlatfit({ seed: opts.seed ?? 2, logLevel: "warn", plugins });
  try {
    model.compile({ optimizer: ff.wrap(tf.train.sgd(opts.learningRate ?? 0.2)), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const epochs = opts.epochs ?? 8;
    const hist = await withSeededMathRandom(4, () => model.fit(x, y, { epochs, batchSize: 16, verbose: 0, callbacks: [ff.callbacks()] }));
    const acc = hist.history.acc[epochs - 1] as number;
    const loss = hist.history.loss as number[];
    t.log(`accuracy after ${epochs} epochs: ${acc.toFixed(3)} (chance 0.333); loss ${loss[0].toFixed(3)} → ${loss[epochs - 1].toFixed(3)}`);
    t.true(acc >= (opts.minAccuracy ?? 0.8), `accuracy ${acc}`);
    t.true(loss[epochs - 1] < loss[0], "loss went down");
    opts.inspect?.(ff);
    return acc;
  } finally {
    ff.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
}

/** `model.save` into memory (optimizer included); load back with `tf.io.fromMemory`. */
export async function saveToMemory(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
    { includeOptimizer: true },
  );
  return saved!;
}
