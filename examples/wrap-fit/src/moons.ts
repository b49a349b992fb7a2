/** Two interleaved half-moons with Gaussian noise: a small, non-linear, deterministic data set. */
import * as tf from "@tensorflow/tfjs";

export function moons(n: number, noise: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const t = Math.PI * rand();
    const [cx, cy] = label === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    xs.push([cx + noise * gauss(), cy + noise * gauss()]);
    ys.push(label);
  }
  return { x: tf.tensor2d(xs), y: tf.oneHot(tf.tensor1d(ys, "int32"), 2) as tf.Tensor2D };
}
