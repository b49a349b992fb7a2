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
import { quantizeOnEvalOptions, type QuantizeOnEvalOptions } from "@flatfit/plugin-quantize-on-eval";

const int = (min: number, what: string) => z.number().int(`${what} must be an integer`).min(min, `${what} must be ≥ ${min}`);

const { bits: pluginBits, suffix: _suffix, ...pluginShape } = quantizeOnEvalOptions.shape;
type PluginShape = typeof pluginShape;
type NoDefault<T> = T extends z.ZodDefault<infer I> ? I : T;

/** The plugin's own option schemas without their defaults: an option left out stays out (a setup then takes the evaluate block's). */
const inheritable = Object.fromEntries(
  Object.entries(pluginShape).map(([k, s]) => [k, ((s as z.ZodType)._zod.def.type === "default" ? (s as z.ZodDefault<z.ZodType>).unwrap() : s).optional()]),
) as { [K in keyof PluginShape]: z.ZodOptional<NoDefault<PluginShape[K]>> };

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

/** The evaluate block; `defaultBits` is [] for train and sweep, [8, 6, 5, 4] for compare. */
export function evaluateSchema(defaultBits: number[]) {
  return z
    .strictObject({
      /** Bit-widths of post-training quantization (every setup's unless it lists its own); [] = float32 only. */
      bits: blockBits.default(defaultBits),
      ...inheritable,
      /** Several quantization setups side by side, each with a name; what a setup leaves out comes from this block. */
      setups: z.array(setupSchema).min(1, "list at least one setup, or leave setups out").optional(),
      /** Also evaluate every setup after each epoch on the validation data (epoch logs val_acc@4bit…). */
      perEpoch: z.boolean().default(false),
      batchSize: int(1, "batchSize").default(256),
    })
    .superRefine((e, ctx) => {
      const setups = e.setups ?? [];
      const seen = new Map<string, number>();
      setups.forEach((s, i) => {
        if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["setups", i, "name"], message: `setup name "${s.name}" is used twice (also setups[${seen.get(s.name)}])` });
        else seen.set(s.name, i);
        if (!s.bits && e.bits.length === 0) {
          ctx.addIssue({ code: "custom", path: ["setups", i, "bits"], message: `setup "${s.name}" has no bit-widths: list them here or in evaluate.bits (integers 2…16), e.g. bits: [8, 4, 3, 2]` });
        }
      });
      if (setups.length === 0 && e.bits.length === 0) {
        const asked = QUANTIZE_OPTIONS.filter((k) => e[k] !== undefined);
        for (const k of asked) {
          ctx.addIssue({ code: "custom", path: [k], message: `quantization option "${k}" is set, but evaluate.bits is empty: list the bit-widths to quantize to (integers 2…16), e.g. bits: [8, 4, 3, 2]` });
        }
        if (e.perEpoch) ctx.addIssue({ code: "custom", path: ["perEpoch"], message: "perEpoch evaluates the quantized model after each epoch, but evaluate.bits is empty: list bit-widths (integers 2…16), e.g. bits: [8, 4]" });
      }
    })
    .transform(resolveEvaluate);
}

/** The evaluate block as a run records it: without quantization only bits, perEpoch and batchSize; with it, every option filled in. */
export type EvaluateSpec = {
  bits: number[];
  perEpoch: boolean;
  batchSize: number;
  setups?: SetupSpec[];
} & Partial<Pick<QuantizeOnEvalOptions, (typeof QUANTIZE_OPTIONS)[number]>>;

function resolveEvaluate(e: { bits: number[]; perEpoch: boolean; batchSize: number; setups?: SetupSpec[] } & Record<string, unknown>): EvaluateSpec {
  const quantizes = e.bits.length > 0 || (e.setups?.length ?? 0) > 0;
  const given = Object.fromEntries(QUANTIZE_OPTIONS.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]));
  // the plugin's defaults for what the block leaves out (so the run's record shows every option)
  const filled = quantizes ? quantizeOnEvalOptions.omit({ bits: true, suffix: true }).parse(given) : {};
  return { bits: e.bits, ...filled, ...(e.setups ? { setups: e.setups } : {}), perEpoch: e.perEpoch, batchSize: e.batchSize };
}

/** One quantization setup as quantize-on-eval runs it: its name ("" for the block's own) and the plugin options (suffix "-<name>"). */
export interface QuantizationSetup {
  name: string;
  options: QuantizeOnEvalOptions;
}

/** The setups of an evaluate block, each with every option filled in (setup, then block, then the plugin's defaults). */
export function quantizationSetups(e: EvaluateSpec): QuantizationSetup[] {
  const block = Object.fromEntries(QUANTIZE_OPTIONS.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]));
  if (!e.setups) return e.bits.length ? [{ name: "", options: quantizeOnEvalOptions.parse({ ...block, bits: e.bits }) }] : [];
  return e.setups.map(({ name, ...own }) => {
    const mine = Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined));
    return { name, options: quantizeOnEvalOptions.parse({ ...block, bits: e.bits, ...mine, suffix: `-${name}` }) };
  });
}

/** The variant name of a setup at `bits`, as quantize-on-eval writes it: "4bit", "4bit-channel". */
export const variantName = (s: QuantizationSetup, bits: number): string => `${bits}bit${s.options.suffix}`;

/** The plugin specs that evaluate the setups (`ff.evaluate` rows; with `perEpoch`, epoch logs too). */
export function quantizationPlugins(e: EvaluateSpec): Array<{ use: string } & QuantizeOnEvalOptions> {
  return quantizationSetups(e).map((s) => ({ use: "quantize-on-eval", ...s.options }));
}

/** In words: "symmetric, per-channel, kernels only, BatchNorm folded". */
export function describeSetup(o: QuantizeOnEvalOptions): string {
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
