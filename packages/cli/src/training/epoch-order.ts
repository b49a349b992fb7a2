/**
 * The data order of a run, epoch by epoch, such that a resumed run sees the same batches as an
 * uninterrupted one.
 *
 * `model.fit({shuffle: true})` shuffles one index array in place at the start of every epoch
 * (after `onEpochBegin`), with `Math.random`: the order of epoch e is the composition of the
 * shuffles of epochs 0..e, and within an epoch `Math.random` also draws Dropout masks. So:
 *   - `EpochSeeding` (the last callback) reseeds `Math.random` at every epoch begin from (seed,
 *     epoch): the draws of epoch e no longer depend on how much earlier epochs drew, or on whether
 *     they ran in this process;
 *   - `orderAfter(n, seed, k)` replays fit's shuffles of epochs 0..k−1 (same function, same
 *     draws). A run resumed after k epochs hands fit the training data permuted by that order;
 *     fit's fresh index array then composes with it into exactly the uninterrupted run's batches.
 */
import * as tf from "@tensorflow/tfjs";
import { seededRandom } from "@flatfit/data";

/** The `Math.random` stream of epoch `epoch` of a run with `seed`. */
export function epochRandom(seed: number, epoch: number): () => number {
  const mixed = (Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) + Math.imul(epoch + 1, 0xc2b2ae35)) >>> 0;
  return seededRandom(mixed);
}

/** Reseeds `Math.random` at every epoch begin (put it last: after every other epoch-begin callback). */
export class EpochSeeding extends tf.Callback {
  constructor(private readonly seed: number) {
    super();
  }
  override async onEpochBegin(epoch: number): Promise<void> {
    Math.random = epochRandom(this.seed, epoch);
  }
}

/** The index order fit's in-place shuffles have made after epochs 0..epochs−1 of a run with `seed`. */
export function orderAfter(n: number, seed: number, epochs: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const original = Math.random;
  try {
    for (let e = 0; e < epochs; e++) {
      Math.random = epochRandom(seed, e);
      tf.util.shuffle(order);
    }
  } finally {
    Math.random = original;
  }
  return order;
}
