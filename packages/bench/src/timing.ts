/** Side-by-side timing: variants run interleaved (A B C A B C …) so drift hits all alike. */
import * as tf from "@tensorflow/tfjs";

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface Variant {
  name: string;
  /** One timed run; returns milliseconds per unit (per step, per evaluation…). */
  run(): Promise<number>;
}

/** Runs every variant `warmup` times untimed, then `repeats` rounds interleaved; medians in ms. */
export async function sideBySide(variants: Variant[], repeats: number, warmup = 1): Promise<Map<string, number>> {
  for (let i = 0; i < warmup; i++) for (const v of variants) await v.run();
  const samples = new Map(variants.map((v) => [v.name, [] as number[]]));
  for (let r = 0; r < repeats; r++) {
    for (const v of variants) samples.get(v.name)!.push(await v.run());
  }
  return new Map([...samples].map(([k, xs]) => [k, median(xs)]));
}

/** Milliseconds per optimizer step of one `fit` epoch. */
export async function fitStepMs(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, batchSize: number, callbacks: tf.Callback[] = []): Promise<number> {
  const steps = Math.ceil(x.shape[0] / batchSize);
  const t0 = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0, callbacks });
  return (performance.now() - t0) / steps;
}

/** Markdown table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
