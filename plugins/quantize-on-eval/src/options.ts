/** Options of the quantize-on-eval plugin, validated by core with this schema. */
import { z } from "@flatfit/core";

const BITS = "a bit-width is an integer from 2 to 16";

export const quantizeOnEvalOptions = z.strictObject({
  /** Bit-widths to evaluate, one row (and one set of `val_…@<b>bit` epoch logs) each. */
  bits: z
    .array(z.number().int(BITS).min(2, BITS).max(16, BITS), { error: "expected a list of bit-widths (integers 2…16), e.g. [8, 6, 5, 4]" })
    .min(1, '"bits" must list at least one bit-width (integers 2…16), e.g. [8, 6, 5, 4]')
    .refine((b) => new Set(b).size === b.length, '"bits" lists a bit-width twice')
    .default([8, 6, 5, 4]),
  /** symmetric: integers in ±(2^(b−1)−1)·Δ around 0; asymmetric: 2^b levels between min and max, with a zero point. */
  scheme: z.enum(["symmetric", "asymmetric"]).default("symmetric"),
  /** One step size per tensor, or per output channel (last axis of Dense/Conv kernels). */
  granularity: z.enum(["tensor", "channel"]).default("tensor"),
  /** Which weights are quantized: "kernels" (biases and BatchNorm stay float), "all", or weight-name substrings. */
  targets: z
    .union([z.enum(["kernels", "all"]), z.array(z.string().min(1)).min(1)], {
      error: 'expected "kernels", "all", or a non-empty list of weight-name substrings (e.g. ["conv", "dense_Dense2/kernel"])',
    })
    .default("kernels"),
  /** Fold BatchNormalization into the preceding Dense/Conv kernel and bias before quantizing, as deployment does. */
  foldBatchNorm: z.boolean().default(false),
  /** Appended to each variant name: suffix "-ch" gives rows "4bit-ch" and logs "val_acc@4bit-ch" (default none). */
  suffix: z.string().regex(/^[A-Za-z0-9_.-]*$/, "use letters, digits, '-', '_' or '.'").default(""),
});

export type QuantizeOnEvalOptions = z.output<typeof quantizeOnEvalOptions>;
export type Scheme = QuantizeOnEvalOptions["scheme"];
export type Granularity = QuantizeOnEvalOptions["granularity"];
export type Targets = QuantizeOnEvalOptions["targets"];
