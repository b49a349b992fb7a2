/**
 * `UnsortedSegmentSum` for tfjs-backend-wasm, which lacks it. It is the gradient of `gather`, so an
 * Embedding layer (and every model that starts with one: LSTM/GRU text models) cannot train on wasm
 * without it.
 *
 * segmentIds has the shape of x's leading axes; with R rows (their product) and the rest of x
 * flattened into rows of length K:
 *   out[s, k] = Σ over rows n with segmentIds[n] = s of x[n, k],   out shape [numSegments, ...x.shape[ids.rank:]]
 * Rows whose id is outside [0, numSegments) are dropped (as tfjs's cpu kernel does). One pass over
 * x on the wasm heap, sums in float64 for the segments that occur, then one write of the output;
 * the output keeps x's dtype (float32 or int32).
 */
import type * as tf from "@tensorflow/tfjs";
import { checkDtypes, heapKernel, outputOnHeap } from "./heap";

export const SEGMENT_SUM_KERNEL = "UnsortedSegmentSum";

/** Writes the segment sums of `x` (R rows of `rowSize`) into `out` ([numSegments, rowSize]). */
export function segmentSumInto(x: ArrayLike<number>, ids: ArrayLike<number>, numSegments: number, rowSize: number, out: Float32Array | Int32Array): void {
  const R = ids.length;
  const K = rowSize;
  out.fill(0);
  if (K === 0) return;
  // segment → slot in a compact float64 accumulator (only segments that occur get one: an
  // embedding's gradient touches a batch's tokens, not the whole vocabulary)
  const slotOf = new Int32Array(numSegments).fill(-1);
  const segOf = new Int32Array(Math.min(R, numSegments));
  const acc = new Float64Array(segOf.length * K);
  let slots = 0;
  for (let n = 0; n < R; n++) {
    const s = ids[n];
    if (!(s >= 0 && s < numSegments)) continue;
    let slot = slotOf[s];
    if (slot < 0) {
      slot = slots++;
      slotOf[s] = slot;
      segOf[slot] = s;
    }
    const a = slot * K;
    const xOff = n * K;
    for (let k = 0; k < K; k++) acc[a + k] += x[xOff + k];
  }
  for (let slot = 0; slot < slots; slot++) out.set(acc.subarray(slot * K, (slot + 1) * K), segOf[slot] * K);
}

export function wasmUnsortedSegmentSum(): tf.KernelConfig {
  return heapKernel(SEGMENT_SUM_KERNEL, ({ inputs, attrs, backend }) => {
    const { numSegments } = attrs as unknown as { numSegments: number };
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    checkDtypes(SEGMENT_SUM_KERNEL, { x }, ["float32", "int32"]);
    checkDtypes(SEGMENT_SUM_KERNEL, { segmentIds }, ["int32"]);
    if (!Number.isInteger(numSegments) || numSegments < 0) {
      throw new Error(`@flatfit/backends ${SEGMENT_SUM_KERNEL} on "wasm": numSegments must be a non-negative integer, got ${numSegments}`);
    }
    const idRank = segmentIds.shape.length;
    if (idRank > x.shape.length || segmentIds.shape.some((d, i) => d !== x.shape[i])) {
      throw new Error(`@flatfit/backends ${SEGMENT_SUM_KERNEL} on "wasm": segmentIds shape [${segmentIds.shape}] must be a prefix of x's shape [${x.shape}]`);
    }
    const inner = x.shape.slice(idRank);
    const rowSize = inner.reduce((p, d) => p * d, 1);
    return outputOnHeap<Float32Array | Int32Array>(backend, [numSegments, ...inner], x.dtype, [x, segmentIds], (out, [xv, ids]) => segmentSumInto(xv, ids, numSegments, rowSize, out));
  });
}
