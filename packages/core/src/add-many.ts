/** Sums of many tensors that every backend computes right. */
import * as tf from "@tensorflow/tfjs";

/**
 * The most inputs one `tf.addN` gets here. tfjs's webgpu backend binds every input and the output
 * as storage buffers, and a device grants 8 unless asked for more: an addN of 8 or more tensors is
 * a shader the device rejects, and the command batch it was in is dropped — wrong values, no error.
 */
export const ADD_N_MAX_INPUTS = 7;

/** Σ of tensors of one shape (a new tensor), as `tf.addN` in groups small enough for every backend. */
export function addMany<T extends tf.Tensor>(tensors: readonly T[]): T {
  if (tensors.length === 0) throw new Error("addMany: expected at least one tensor");
  if (tensors.length <= ADD_N_MAX_INPUTS) return tf.addN(tensors as T[]);
  return tf.tidy(() => {
    let level: tf.Tensor[] = tensors.slice();
    while (level.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < level.length; i += ADD_N_MAX_INPUTS) {
        const group = level.slice(i, i + ADD_N_MAX_INPUTS);
        next.push(group.length === 1 ? group[0] : tf.addN(group));
      }
      level = next;
    }
    return level[0] as T;
  });
}
