/**
 * The kernels flatfit supplies for tfjs-backend-wasm beyond Conv2DBackpropFilter (src/wasm.ts),
 * found by training Conv2D, DepthwiseConv2D/SeparableConv2D, BatchNormalization, Dropout, pooling
 * (2-D and 3-D), Dense, Embedding, LSTM/GRU, Flatten/Reshape and Conv3D models with SGD and Adam on
 * wasm 4.22 and comparing each loss trajectory with the cpu backend's:
 *   - kernels wasm lacks ("Kernel '…' not registered for backend 'wasm'"): the depthwise
 *     convolution's two gradients (DepthwiseConv2D, SeparableConv2D) and UnsortedSegmentSum
 *     (gather's gradient: Embedding);
 *   - kernels wasm has but computes wrongly (`WASM_REPLACED`), which replace the stock kernel:
 *     MaxPoolGrad, MaxPool3D, MaxPool3DGrad (windows of values ≤ 0), Conv3DBackpropInputV2 and
 *     Conv3DBackpropFilterV2 (wrong output ranges);
 *   - a kernel wasm has but runs far slower than it should (also in `WASM_REPLACED`): Tile, whose
 *     per-element index arithmetic made BatchNormalization's gradient a sizeable share of a CNN step,
 *     and Conv2DBackpropInput, a direct loop: stride-1 cases run as wasm's own Conv2D (XNNPACK) on
 *     the flipped filter; the others go back to the stock kernel (recorded in ./stock).
 */
import * as tf from "@tensorflow/tfjs";
import { DEPTHWISE_FILTER_KERNEL, DEPTHWISE_INPUT_KERNEL, wasmDepthwiseFilterGrad, wasmDepthwiseInputGrad } from "./depthwise-conv2d";
import { CONV3D_FILTER_KERNEL, CONV3D_INPUT_KERNEL, wasmConv3DFilterGrad, wasmConv3DInputGrad } from "./conv3d";
import { MAX_POOL_3D_GRAD_KERNEL, MAX_POOL_3D_KERNEL, MAX_POOL_GRAD_KERNEL, wasmMaxPool3D, wasmMaxPool3DGrad, wasmMaxPoolGrad } from "./max-pool";
import { SEGMENT_SUM_KERNEL, wasmUnsortedSegmentSum } from "./unsorted-segment-sum";
import { TILE_KERNEL, wasmTile } from "./tile";
import { CONV2D_INPUT_KERNEL, wasmConv2DInputGrad } from "./conv2d-backprop-input";
import { recordStockKernel } from "./stock";

/** Kernel name → a factory of its wasm kernel config. */
export const WASM_KERNELS: Readonly<Record<string, () => tf.KernelConfig>> = {
  [DEPTHWISE_FILTER_KERNEL]: wasmDepthwiseFilterGrad,
  [DEPTHWISE_INPUT_KERNEL]: wasmDepthwiseInputGrad,
  [SEGMENT_SUM_KERNEL]: wasmUnsortedSegmentSum,
  [MAX_POOL_GRAD_KERNEL]: wasmMaxPoolGrad,
  [MAX_POOL_3D_KERNEL]: wasmMaxPool3D,
  [MAX_POOL_3D_GRAD_KERNEL]: wasmMaxPool3DGrad,
  [CONV3D_FILTER_KERNEL]: wasmConv3DFilterGrad,
  [CONV3D_INPUT_KERNEL]: wasmConv3DInputGrad,
  [TILE_KERNEL]: wasmTile,
  [CONV2D_INPUT_KERNEL]: wasmConv2DInputGrad,
};

/** Stock wasm kernels (4.22) that give wrong results, or (Tile, Conv2DBackpropInput) run far too slowly: flatfit's replaces them. */
export const WASM_REPLACED: readonly string[] = [MAX_POOL_GRAD_KERNEL, MAX_POOL_3D_KERNEL, MAX_POOL_3D_GRAD_KERNEL, CONV3D_FILTER_KERNEL, CONV3D_INPUT_KERNEL, TILE_KERNEL, CONV2D_INPUT_KERNEL];

const ours = new WeakSet<tf.KernelConfig>();
const replacements = new Map<string, tf.KernelConfig>();

/**
 * Puts flatfit's replacements back in place of stock kernels registered after them: importing
 * `@tensorflow/tfjs-backend-wasm` registers its kernels, over any registered before. Runs as the
 * setup of every flatfit wasm kernel, which tfjs calls whenever the wasm backend becomes the active
 * one, so before any wasm kernel runs.
 */
function restoreReplacements(): void {
  for (const [name, config] of replacements) {
    const now = tf.getKernel(name, "wasm");
    if (now !== undefined && ours.has(now)) continue;
    if (now !== undefined) {
      recordStockKernel(now);
      tf.unregisterKernel(name, "wasm");
    }
    tf.registerKernel(config);
  }
}

/** The kernel config that `installBackendExtras` registers on wasm for `name` (one of `WASM_KERNELS`). */
export function wasmExtraKernel(name: string): tf.KernelConfig {
  const make = WASM_KERNELS[name];
  if (make === undefined) throw new Error(`@flatfit/backends: no wasm kernel "${name}"`);
  const stock = tf.getKernel(name, "wasm");
  if (stock !== undefined && !ours.has(stock)) recordStockKernel(stock);
  const config: tf.KernelConfig = { ...make(), setupFunc: restoreReplacements };
  ours.add(config);
  if (WASM_REPLACED.includes(name)) replacements.set(name, config);
  return config;
}
