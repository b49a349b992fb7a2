/**
 * The `evaluate` block: what the CLI measures on the test data once training ends — the float
 * model, and the model with its weights quantized by quantize-on-eval. It is the CLI's one
 * place for quantization: it takes every option of quantize-on-eval (its own schema, imported
 * from the plugin, not copied), at the top for one setup, or as `setups` side by side:
 *
 *   evaluate: { bits: [8, 4, 3, 2], granularity: channel, foldBatchNorm: true }
 *
 *   evaluate:
 *     bits: [8, 4, 3, 2]           # every setup's, unless it lists its own
 *     foldBatchNorm: true          # so are the other options
 *     setups:
 *       - { name: tensor }                          # variants 8bit-tensor, …, 2bit-tensor
 *       - { name: channel, granularity: channel }   # variants 8bit-channel, …
 *
 * A quantize-on-eval entry in `plugins` is a config error that shows the `evaluate` block to write
 * instead (see `quantizeInPlugins`), so that a config cannot ask for bit-widths in two places.
 */
import { z } from "@flatfit/core";
import { quantizeOnEvalOptions, quantizeOnEvalPluginOptions, type QuantizeOnEvalOptions } from "@flatfit/plugin-quantize-on-eval";

const int = (min: number, what: string) => z.number().int(`${what} must be an integer`).min(min, `${what} must be ≥ ${min}`);

const { bits: pluginBits, suffix: _suffix, ...pluginShape } = quantizeOnEvalOptions.shape;
type PluginShape = typeof pluginShape;
type NoDefault<T> = T extends z.ZodDefault<infer I> ? I : T;

/** The plugin's own option schemas without their defaults: an option left out stays out (a setup then takes the evaluate block's). */
const inheritable = Object.fromEntries(
  Object.entries(pluginShape).map(([k, s]) => [k, ((s as z.ZodType)._zod.def.type === "default" ? (s as z.ZodDefault<z.ZodType>).unwrap() : s).optional()]),
) as { [K in keyof PluginShape]: z.ZodOptional<NoDefault<PluginShape[K]>> };

/** The plugin's defaults of those options (symmetric, tensor, kernels, false). */
const PLUGIN_DEFAULTS = quantizeOnEvalOptions.omit({ bits: true, suffix: true }).parse({});

/** The quantize-on-eval options the evaluate block and each setup take (all but `bits` and `suffix`). */
export const QUANTIZE_OPTIONS = Object.keys(pluginShape) as Array<keyof PluginShape>;

/** A non-empty list of distinct bit-widths 2…16: the plugin's `bits` without its default. */
const setupBits = pluginBits.unwrap();
/** The same, where [] (no quantization) is allowed. */
const blockBits = z
  .array(setupBits.element, { error: "expected a list of bit-widths (integers 2…16), e.g. [8, 6, 5, 4]" })
  .refine((b) => new Set(b).size === b.length, '"bits" lists a bit-width twice');

const NAME = /^[A-Za-z0-9_.-]+$/;

export const setupSchema = z.strictObject({
  /** Names the setup's columns and chart line: variants "4bit-<name>", epoch logs "val_acc@4bit-<name>". */
  name: z.string({ error: "each setup needs a name (letters, digits, '-', '_' or '.'), e.g. name: channel" }).regex(NAME, "use letters, digits, '-', '_' or '.'"),
  /** Default: the evaluate block's bits. */
  bits: setupBits.optional(),
  ...inheritable,
});

export type SetupSpec = z.output<typeof setupSchema>;

/** The bits a block without `bits` evaluates: a preset's own default ([8, 16] for "tfjs-converter", as the plugin has it), else `defaultBits`. */
function blockBitsOf(e: { bits?: number[]; preset?: unknown }, defaultBits: number[]): number[] {
  if (e.bits) return e.bits;
  if (e.preset !== undefined) {
    const r = quantizeOnEvalPluginOptions.safeParse({ preset: e.preset });
    if (r.success && r.data.bits) return r.data.bits;
  }
  return defaultBits;
}

/** A setup's plugin options before validation: the setup's own fields over the block's (both as written), bits resolved. */
function mergedOptions(block: Record<string, unknown>, bits: number[], setup?: Record<string, unknown>): Record<string, unknown> {
  const given = (o: Record<string, unknown>) => Object.fromEntries(QUANTIZE_OPTIONS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  return { ...given(block), bits, ...(setup ? given(setup) : {}), ...(setup?.bits ? { bits: setup.bits } : {}) };
}

/** The evaluate block; `defaultBits` is [] for train and sweep, [8, 6, 5, 4] for compare. */
export function evaluateSchema(defaultBits: number[]) {
  return z
    .strictObject({
      /** Bit-widths of post-training quantization (every setup's unless it lists its own); [] = float32 only. */
      bits: blockBits.optional(),
      ...inheritable,
      /** Several quantization setups side by side, each with a name; what a setup leaves out comes from this block. */
      setups: z.array(setupSchema).min(1, "list at least one setup, or leave setups out").optional(),
      /** Also evaluate every setup after each epoch on the validation data (epoch logs val_acc@4bit…). */
      perEpoch: z.boolean().default(false),
      batchSize: int(1, "batchSize").default(256),
    })
    .superRefine((e, ctx) => {
      const bits = blockBitsOf(e, defaultBits);
      const setups = e.setups ?? [];
      const seen = new Map<string, number>();
      setups.forEach((s, i) => {
        if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["setups", i, "name"], message: `setup name "${s.name}" is used twice (also setups[${seen.get(s.name)}])` });
        else seen.set(s.name, i);
        if (!s.bits && bits.length === 0) {
          ctx.addIssue({ code: "custom", path: ["setups", i, "bits"], message: `setup "${s.name}" has no bit-widths: list them here or in evaluate.bits (integers 2…16), e.g. bits: [8, 4, 3, 2]` });
        }
      });
      if (setups.length === 0 && bits.length === 0) {
        const asked = QUANTIZE_OPTIONS.filter((k) => e[k] !== undefined);
        for (const k of asked) {
          ctx.addIssue({ code: "custom", path: [k], message: `quantization option "${k}" is set, but evaluate.bits is empty: list the bit-widths to quantize to (integers 2…16), e.g. bits: [8, 4, 3, 2]` });
        }
        if (e.perEpoch) ctx.addIssue({ code: "custom", path: ["perEpoch"], message: "perEpoch evaluates the quantized model after each epoch, but evaluate.bits is empty: list bit-widths (integers 2…16), e.g. bits: [8, 4]" });
        return;
      }
      // each setup as the plugin will run it, checked with the plugin's own rules (a preset's bits and fields);
      // an issue is reported where the offending value sits: in the setup when it sets the field, else in the block
      const block = e as Record<string, unknown>;
      const checks = setups.length ? setups.map((s, i) => ({ setup: s as Record<string, unknown>, at: ["setups", i] as (string | number)[] })) : [{ setup: undefined, at: [] }];
      for (const { setup, at } of checks) {
        if (setup && !setup.bits && bits.length === 0) continue;
        const r = quantizeOnEvalPluginOptions.safeParse(mergedOptions(block, bits, setup));
        if (r.success) continue;
        for (const issue of r.error.issues) {
          const field = issue.path[0];
          if (field === "bits" && setup && setup.bits === undefined && setup.preset !== undefined) {
            // the setup's preset rejects the bits it inherits: say so at its preset
            const from = e.bits === undefined ? "the default bits" : "evaluate.bits";
            ctx.addIssue({ code: "custom", path: [...at, "preset"], message: `${issue.message}, but this setup takes ${from} ${JSON.stringify(bits)}: give it bits of its own, e.g. bits: [8, 16]` });
            continue;
          }
          const own = setup !== undefined && typeof field === "string" && setup[field] !== undefined;
          let hint = field === "bits" && !own && e.bits === undefined ? ` (the default bits ${JSON.stringify(bits)}; list bits)` : "";
          if (setup && !own && typeof field === "string" && field !== "bits") {
            const plain = (PLUGIN_DEFAULTS as Record<string, unknown>)[field];
            hint = ` — setups[${at[1]}] ("${String(setup.name)}") inherits it: give that setup ${field}: ${JSON.stringify(plain)}, or set ${field} in the setups that want it`;
          }
          ctx.addIssue({ code: "custom", path: [...(own ? at : []), ...(issue.path as (string | number)[])], message: issue.message + hint });
        }
      }
    })
    .transform((e) => resolveEvaluate(e, defaultBits));
}

/** The evaluate block as a run records it: without quantization only bits, perEpoch and batchSize; with it, every option filled in. */
export type EvaluateSpec = {
  bits: number[];
  perEpoch: boolean;
  batchSize: number;
  setups?: SetupSpec[];
} & Partial<Pick<QuantizeOnEvalOptions, (typeof QUANTIZE_OPTIONS)[number]>>;

function resolveEvaluate(e: { bits?: number[]; perEpoch: boolean; batchSize: number; setups?: SetupSpec[] } & Record<string, unknown>, defaultBits: number[]): EvaluateSpec {
  const bits = blockBitsOf(e, defaultBits);
  const quantizes = bits.length > 0 || (e.setups?.length ?? 0) > 0;
  const given = Object.fromEntries(QUANTIZE_OPTIONS.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]));
  // the plugin's defaults for what the block leaves out (so the run's record shows every option)
  const filled = quantizes ? quantizeOnEvalOptions.omit({ bits: true, suffix: true }).parse(given) : {};
  return { bits, ...filled, ...(e.setups ? { setups: e.setups } : {}), perEpoch: e.perEpoch, batchSize: e.batchSize };
}

/** One quantization setup as quantize-on-eval runs it: its name ("" for the block's own) and the plugin options (suffix "-<name>"). */
export interface QuantizationSetup {
  name: string;
  options: QuantizeOnEvalOptions;
}

/** The plugin's validation; its output is a `QuantizeOnEvalOptions` (bits filled in), as its schema says. */
const pluginOptions = (o: Record<string, unknown>): QuantizeOnEvalOptions => quantizeOnEvalPluginOptions.parse(o) as QuantizeOnEvalOptions;

/** The setups of an evaluate block, each with every option filled in (setup, then block, then the plugin's defaults), as the plugin validates them. */
export function quantizationSetups(e: EvaluateSpec): QuantizationSetup[] {
  const block = e as unknown as Record<string, unknown>;
  if (!e.setups) return e.bits.length ? [{ name: "", options: pluginOptions(mergedOptions(block, e.bits)) }] : [];
  return e.setups.map((s) => ({ name: s.name, options: pluginOptions({ ...mergedOptions(block, e.bits, s as Record<string, unknown>), suffix: `-${s.name}` }) }));
}

/** The variant name of a setup at `bits`, as quantize-on-eval writes it: "4bit", "4bit-channel". */
export const variantName = (s: QuantizationSetup, bits: number): string => `${bits}bit${s.options.suffix}`;

/** The plugin specs that evaluate the setups (`ff.evaluate` rows; with `perEpoch`, epoch logs too). */
export function quantizationPlugins(e: EvaluateSpec): Array<{ use: string } & QuantizeOnEvalOptions> {
  return quantizationSetups(e).map((s) => ({ use: "quantize-on-eval", ...s.options }));
}

/** In words: "symmetric, per-channel, kernels only, BatchNorm folded". */
export function describeSetup(o: QuantizeOnEvalOptions): string {
  if (o.preset) return `preset ${o.preset} (as tfjs's converter: every weight, affine per tensor, uint${o.bits.length === 1 ? o.bits[0] : "8/uint16"})`;
  const targets = o.targets === "kernels" ? "kernels only" : o.targets === "all" ? "every weight" : `weights matching ${o.targets.map((t) => JSON.stringify(t)).join(", ")}`;
  return `${o.scheme}, per-${o.granularity}, ${targets}${o.foldBatchNorm ? ", BatchNorm folded first" : ""}`;
}

/**
 * The `evaluate` block that does what a quantize-on-eval plugin entry asks, as YAML flow text, for
 * the error that moves it there: {use: quantize-on-eval, bits: [8, 4]} → "{ bits: [8, 4], perEpoch: true }".
 */
export function evaluateBlockFor(spec: Record<string, unknown>): string {
  const { use: _use, suffix: _s, ...options } = spec;
  const fields = Object.entries({ bits: [8, 6, 5, 4], ...options, perEpoch: true }).map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.map((x) => (typeof x === "string" ? JSON.stringify(x) : String(x))).join(", ")}]` : typeof v === "string" ? v : JSON.stringify(v)}`);
  return `evaluate: { ${fields.join(", ")} }`;
}
