/**
 * Model-and-data objectives: the model's compiled loss, evaluated in inference mode (BatchNorm
 * uses its moving statistics and does not update them; Dropout is off), averaged over the
 * samples exactly as `model.evaluate` averages it (batch means weighted by batch size).
 */
import * as tf from "@tensorflow/tfjs";
import { addMany, type GradientResult } from "@flatfit/core";
import type { Objective } from "./objective";

type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
type Data = tf.Tensor | tf.Tensor[];

export interface ModelDataOptions {
  /** Samples per forward/backward pass (default 256). Gradients are accumulated over batches. */
  batchSize?: number;
  /** Use only the first `maxSamples` samples of the data (default: all). */
  maxSamples?: number;
  /** Add the layers' regularization losses (kernel/bias/activity regularizers) as training does (default false, as `model.evaluate`). */
  regularization?: boolean;
}

/** The tf.Variables behind a model's trainable weights (the ones `model.fit` updates). */
export function modelVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

function compiledLosses(model: tf.LayersModel): LossFn[] {
  const m = model as unknown as { lossFunctions?: LossFn[]; model?: { lossFunctions?: LossFn[] } };
  const fns = m.lossFunctions ?? m.model?.lossFunctions;
  if (!Array.isArray(fns) || fns.length === 0) {
    throw new Error("the model has no compiled loss: call model.compile({optimizer, loss}) first");
  }
  return fns;
}

const asList = (d: Data): tf.Tensor[] => (Array.isArray(d) ? d : [d]);

function sampleCount(x: Data, y: Data): number {
  const xs = asList(x);
  const ys = asList(y);
  if (xs.length === 0 || ys.length === 0) throw new Error("expected data tensors x and y");
  const n = xs[0].shape[0];
  for (const t of [...xs, ...ys]) {
    if (t.shape[0] !== n) throw new Error(`x and y must have the same number of samples (got ${t.shape[0]} and ${n})`);
  }
  return n;
}

const sliceRows = (d: Data, start: number, size: number): tf.Tensor[] => asList(d).map((t) => t.slice(start, size));

/**
 * A loss closure for the model on (x, y): the compiled loss in inference mode, averaged over
 * all samples (or the first `maxSamples`), computed batch by batch.
 */
export function modelLoss(model: tf.LayersModel, x: Data, y: Data, opts: ModelDataOptions = {}): () => tf.Scalar {
  return modelObjective(model, x, y, opts).loss;
}

/** An objective over the model's trainable variables and the data (x, y); see {@link modelLoss}. */
export function modelObjective(model: tf.LayersModel, x: Data, y: Data, opts: ModelDataOptions = {}): Objective {
  const losses = compiledLosses(model);
  const total = sampleCount(x, y);
  const n = Math.min(total, opts.maxSamples ?? total);
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 256));
  if (n < 1) throw new Error("no samples to measure on");
  const variables = modelVariables(model);
  const batches: Array<[number, number]> = [];
  for (let s = 0; s < n; s += batchSize) batches.push([s, Math.min(batchSize, n - s)]);

  const batchLoss = (start: number, size: number): tf.Scalar => {
    const xb = sliceRows(x, start, size);
    const yb = sliceRows(y, start, size);
    const out = model.apply(xb.length === 1 ? xb[0] : xb, { training: false }) as tf.Tensor | tf.Tensor[];
    const outs = asList(out);
    let loss = tf.mean(losses[0](yb[0], outs[0])) as tf.Scalar;
    for (let i = 1; i < losses.length; i++) loss = tf.add(loss, tf.mean(losses[i](yb[i], outs[i])));
    if (opts.regularization) {
      const reg = (model as unknown as { calculateLosses(): tf.Scalar[] }).calculateLosses();
      if (reg.length > 0) loss = tf.add(loss, addMany(reg));
    }
    return loss;
  };

  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      if (batches.length === 1) return batchLoss(0, n);
      const parts = batches.map(([s, b]) => tf.mul(batchLoss(s, b), b / n));
      return addMany(parts) as tf.Scalar;
    });

  const oracle = (): GradientResult => {
    if (batches.length === 1) {
      const { value, grads } = tf.variableGrads(() => batchLoss(0, n), variables);
      return { loss: value, grads };
    }
    let accLoss: tf.Scalar | undefined;
    let acc: tf.NamedTensorMap | undefined;
    for (const [s, b] of batches) {
      const w = b / n;
      const { value, grads } = tf.variableGrads(() => batchLoss(s, b), variables);
      const next = tf.tidy(() => {
        const l = tf.mul(value, w) as tf.Scalar;
        const g: tf.NamedTensorMap = {};
        for (const name of Object.keys(grads)) g[name] = tf.mul(grads[name], w);
        return {
          l: accLoss ? (tf.add(accLoss, l) as tf.Scalar) : l,
          g: acc ? Object.fromEntries(Object.keys(g).map((k) => [k, tf.add(acc![k], g[k])])) : g,
        };
      });
      tf.dispose([value, ...Object.values(grads)]);
      if (accLoss) accLoss.dispose();
      if (acc) tf.dispose(Object.values(acc));
      accLoss = next.l;
      acc = next.g as tf.NamedTensorMap;
    }
    return { loss: accLoss!, grads: acc! };
  };

  return { variables, loss, oracle };
}
