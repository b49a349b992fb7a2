/** Options of the quantize-on-eval plugin, validated by core with this schema. */
import { z } from "@flatfit/core";

const BITS = "a bit-width is an integer from 2 to 16";

/** Named quantizers (`preset`): "tfjs-converter" is tfjs's converter quantization (uint8/uint16, see converter.ts). */
export const PRESETS = ["tfjs-converter"] as const;
export type Preset = (typeof PRESETS)[number];

/** Bit-widths evaluated when `bits` is left out: [8, 6, 5, 4], or [8, 16] with preset "tfjs-converter". */
export const DEFAULT_BITS: readonly number[] = [8, 6, 5, 4];
export const PRESET_DEFAULT_BITS: Record<Preset, readonly number[]> = { "tfjs-converter": [8, 16] };

/** The defaults of the quantizer options a preset replaces; any other value next to a preset is an error. */
const PRESET_REPLACES = { scheme: "symmetric", granularity: "tensor", targets: "kernels", foldBatchNorm: false } as const;

export const quantizeOnEvalOptions = z.strictObject({
  /** Bit-widths to evaluate, one row (and one set of `val_…@<b>bit` epoch logs) each. */
  bits: z
    .array(z.number().int(BITS).min(2, BITS).max(16, BITS), { error: "expected a list of bit-widths (integers 2…16), e.g. [8, 6, 5, 4]" })
    .min(1, '"bits" must list at least one bit-width (integers 2…16), e.g. [8, 6, 5, 4]')
    .refine((b) => new Set(b).size === b.length, '"bits" lists a bit-width twice')
    .default([...DEFAULT_BITS]),
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
  /**
   * A named quantizer that replaces scheme, granularity and targets: "tfjs-converter" quantizes as
   * tfjs's converter does (every float32 weight, moving statistics included, affinely to uint8 or
   * uint16, one min and scale per tensor; bits 8 or 16, default [8, 16]). Default none.
   */
  preset: z.enum(PRESETS, { error: `expected ${PRESETS.map((p) => JSON.stringify(p)).join(" or ")} (quantize as tfjs's converter does), or leave "preset" out` }).optional(),
  /** Appended to each variant name: suffix "-ch" gives rows "4bit-ch" and logs "val_acc@4bit-ch" (default none). */
  suffix: z.string().regex(/^[A-Za-z0-9_.-]*$/, "use letters, digits, '-', '_' or '.'").default(""),
});

export type QuantizeOnEvalOptions = z.output<typeof quantizeOnEvalOptions>;
export type Scheme = QuantizeOnEvalOptions["scheme"];
export type Granularity = QuantizeOnEvalOptions["granularity"];
export type Targets = QuantizeOnEvalOptions["targets"];
/**
 * What a preset cannot be combined with: one message per offending field (an empty list when
 * there is no preset or nothing conflicts). Used by the plugin's schema and by the standalone
 * functions.
 */
export function presetConflicts(o: { preset?: Preset; bits?: readonly number[] | number; scheme?: string; granularity?: string; targets?: unknown; foldBatchNorm?: boolean }): Array<{ path: (string | number)[]; message: string }> {
  if (!o.preset) return [];
  const out: Array<{ path: (string | number)[]; message: string }> = [];
  const bits = o.bits === undefined ? [] : typeof o.bits === "number" ? [o.bits] : o.bits;
  bits.forEach((b, i) => {
    if (b !== 8 && b !== 16) {
      out.push({ path: typeof o.bits === "number" ? ["bits"] : ["bits", i], message: `preset "${o.preset}" stores weights as uint8 or uint16: a bit-width is 8 or 16` });
    }
  });
  for (const [field, plain] of Object.entries(PRESET_REPLACES)) {
    const given = (o as Record<string, unknown>)[field];
    if (given !== undefined && given !== plain) {
      out.push({
        path: [field],
        message: `preset "${o.preset}" fixes how weights are quantized (every float32 weight, affine per tensor, unfolded, as tfjs's converter); leave "${field}" out`,
      });
    }
  }
  return out;
}

/**
 * The schema the plugin validates its options with: `quantizeOnEvalOptions` where `bits` defaults
 * by preset ([8, 16] with "tfjs-converter"), plus the preset's rules (bits 8 or 16; no scheme,
 * granularity, targets or foldBatchNorm of its own). Its output is a `QuantizeOnEvalOptions`.
 */
export const quantizeOnEvalPluginOptions = quantizeOnEvalOptions
  .extend({ bits: quantizeOnEvalOptions.shape.bits.unwrap().optional().describe("bit-widths (integers 2…16); default [8, 6, 5, 4], or [8, 16] with preset \"tfjs-converter\"") })
  .superRefine((o, ctx) => {
    for (const issue of presetConflicts(o)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  })
  .overwrite((o) => ({ ...o, bits: o.bits ?? [...(o.preset ? PRESET_DEFAULT_BITS[o.preset] : DEFAULT_BITS)] }));
