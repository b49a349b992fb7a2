/**
 * tfjs's converter quantization ("--quantize_uint8" / "--quantize_uint16" of tensorflowjs_converter),
 * reimplemented from its documented behaviour, and tfjs's dequantization when a model loads.
 *
 * The converter quantizes every float32 weight tensor affinely, one (min, scale) per tensor, in
 * float64:
 *
 *   lo = min W,  hi = max W,  qmax = 2^b − 1 (255 or 65535),  scale = (hi − lo)/qmax
 *   when lo ≤ 0 ≤ hi, the range is nudged so that 0 is a code (as TF-Lite does):
 *     z = rint(−lo/scale),  min = −z·scale,  max = qmax·scale + min
 *   otherwise min = lo, max = hi (no nudge)
 *   code = rint((clamp(W, min, max) − min)/scale)           rint: round half to even
 *   a constant tensor: every code 0, min = that value, scale = 1
 *
 * and writes the codes as uint8/uint16 with `quantization: {dtype, min, scale}` in the weights
 * manifest. `tf.loadLayersModel` (tfjs-core's io decodeWeight) reads each value back as
 * float32(code·scale + min), the product and sum in float64 (JavaScript numbers). Other dtypes
 * (int32…) are left as they are.
 */

/** The bit-widths tfjs's weights format stores: 8 (uint8) and 16 (uint16). */
export const TFJS_CONVERTER_BITS = [8, 16] as const;
export type ConverterBits = (typeof TFJS_CONVERTER_BITS)[number];

export interface ConverterQuantized {
  /** One code per value: uint8 for 8 bits, uint16 for 16 bits. */
  codes: Uint8Array | Uint16Array;
  /** The manifest's `min` (float64). */
  min: number;
  /** The manifest's `scale` (float64). */
  scale: number;
  dtype: "uint8" | "uint16";
}

/** Whether `bits` is a width tfjs's weights format stores (8 or 16). */
export const isConverterBits = (bits: unknown): bits is ConverterBits => bits === 8 || bits === 16;

/** Throws a RangeError naming `field` unless `bits` is 8 or 16. */
export function checkConverterBits(bits: unknown, field: string): asserts bits is ConverterBits {
  if (!isConverterBits(bits)) {
    throw new RangeError(`${field} must be 8 or 16 with the tfjs-converter format (uint8 or uint16 weights, as tfjs's converter writes them); got ${JSON.stringify(bits)}`);
  }
}

/** Round half to even, as NumPy's `round`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // half up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Quantizes `values` as tfjs's converter does (see the module notes). */
export function converterQuantize(values: ArrayLike<number>, bits: ConverterBits): ConverterQuantized {
  checkConverterBits(bits, "bits");
  const qmax = bits === 8 ? 255 : 65535;
  const dtype = bits === 8 ? "uint8" : "uint16";
  const codes = bits === 8 ? new Uint8Array(values.length) : new Uint16Array(values.length);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (values.length === 0) return { codes, min: 0, scale: 1, dtype };
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`converterQuantize: the tensor holds a non-finite value (min ${lo}, max ${hi})`);
  if (lo === hi) return { codes, min: lo, scale: 1, dtype };
  const scale = (hi - lo) / qmax;
  let min = lo;
  let max = hi;
  if (lo <= 0 && 0 <= hi) {
    const zero = roundHalfEven((0 - lo) / scale);
    min = -zero * scale;
    max = qmax * scale + min;
  }
  for (let i = 0; i < values.length; i++) {
    const clamped = Math.min(Math.max(values[i], min), max);
    codes[i] = Math.min(qmax, Math.max(0, roundHalfEven((clamped - min) / scale)));
  }
  return { codes, min, scale, dtype };
}

/** What tfjs's loader reads back: float32(code·scale + min) per value. */
export function converterDequantize(q: Pick<ConverterQuantized, "codes" | "min" | "scale">): Float32Array {
  const out = new Float32Array(q.codes.length);
  for (let i = 0; i < q.codes.length; i++) out[i] = q.codes[i] * q.scale + q.min;
  return out;
}
