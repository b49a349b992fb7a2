/** The MNIST slice the build wrote (mnist.json: bytes in base64), as tensors. */
import * as tf from "@tensorflow/tfjs";

interface Split {
  pixels: string;
  labels: number[];
}

export interface Digits {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

function toTensors(s: Split, size: number, classes: number, limit: number): Digits {
  const bytes = Uint8Array.from(atob(s.pixels), (c) => c.charCodeAt(0));
  const n = Math.min(s.labels.length, limit);
  const x = tf.tidy(() => tf.div(tf.tensor2d(bytes.subarray(0, n * size), [n, size], "float32"), 255) as tf.Tensor2D);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(s.labels.slice(0, n), "int32"), classes) as tf.Tensor2D);
  return { x, y };
}

export async function loadDigits(limits: { train: number; test: number }): Promise<{ train: Digits; test: Digits }> {
  const res = await fetch("mnist.json");
  if (!res.ok) throw new Error(`mnist.json: HTTP ${res.status}`);
  const d = (await res.json()) as { size: number; classes: number; train: Split; test: Split };
  return { train: toTensors(d.train, d.size, d.classes, limits.train), test: toTensors(d.test, d.size, d.classes, limits.test) };
}
