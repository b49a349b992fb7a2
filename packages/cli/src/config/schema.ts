/**
 * The CLI's config files, as zod schemas. `train` fields are the base of every command:
 * `compare` adds `methods` and `seeds`, `sweep` adds `grid` and `metric`. The `model` and `data`
 * fields have several shapes; `pickModel` / `pickData` (see variants.ts) choose the shape by
 * its keys so that an error names the field of the shape the user meant.
 */
import { z } from "@flatfit/core";
import { evaluateSchema as evaluateBlock } from "./evaluate";

const int = (min: number, what: string) => z.number().int(`${what} must be an integer`).min(min, `${what} must be ≥ ${min}`);
const fraction = (what: string) => z.number().gt(0, `${what} must be in (0, 1)`).lt(1, `${what} must be in (0, 1)`);
const ratio = z.number().min(0, "must be a ratio in [0, 1]").max(1, "must be a ratio in [0, 1]");

export const mlpSchema = z.strictObject({
  name: z.literal("mlp"),
  /** Units of each hidden Dense layer. */
  hidden: z.array(int(1, "a layer's units")).default([128]),
  activation: z.enum(["relu", "tanh", "elu", "sigmoid"]).default("relu"),
  /** A BatchNormalization layer after each hidden Dense layer. */
  batchNorm: z.boolean().default(false),
  dropout: z.number().min(0).lt(1).default(0),
});

export const cnnSchema = z.strictObject({
  name: z.literal("cnn"),
  /** Filters of each convolution block (conv stride 2 → BatchNorm → ReLU). */
  filters: z.array(int(1, "a block's filters")).min(1).default([8, 16]),
  kernelSize: int(1, "kernelSize").default(3),
  /** Units of a hidden Dense layer before the output (0: none). */
  dense: int(0, "dense").default(0),
  dropout: z.number().min(0).lt(1).default(0),
});

/** A tfjs LayersModel saved to a folder (model.json + weight files), e.g. with `model.save("file://…")`. */
export const savedModelSchema = z.strictObject({ path: z.string().min(1) });

/** A JS module exporting a factory `(inputShape, classes, {seed, ...options}) => tf.LayersModel` (or a Promise of one). */
export const moduleModelSchema = z.strictObject({
  module: z.string().min(1),
  export: z.string().min(1).default("default"),
  options: z.record(z.string(), z.unknown()).default({}),
});

export const mnistSchema = z.strictObject({
  name: z.literal("mnist"),
  /** At most this many examples of each split (a class-balanced prefix). */
  limit: int(1, "limit").optional(),
  trainLimit: int(1, "trainLimit").optional(),
  testLimit: int(1, "testLimit").optional(),
  layout: z.enum(["image", "flat"]).default("image"),
  /** Symmetric label noise on the training labels (HERO Table 2): round(ratio·n) labels redrawn uniformly. */
  labelNoise: ratio.default(0),
});

export const csvSchema = z.strictObject({
  /** Path of the CSV file, relative to the config file. */
  csv: z.string().min(1),
  /** Label column: header name or 0-based index (default: the last column). */
  label: z.union([z.string().min(1), int(0, "label")]).optional(),
  header: z.boolean().default(true),
  delimiter: z.string().length(1).default(","),
  /** Rows are shuffled with `splitSeed`, then the last `testFraction` are the test split. */
  testFraction: fraction("testFraction").default(0.2),
  splitSeed: int(0, "splitSeed").default(0),
  /** Standardize features with the training split's mean and std. */
  standardize: z.boolean().default(true),
  labelNoise: ratio.default(0),
});

const DEFAULT_LR = { sgd: 0.1, momentum: 0.05, adam: 0.001 } as const;

export const optimizerSchema = z
  .strictObject({
    name: z.enum(["sgd", "momentum", "adam"]).default("sgd"),
    /** Default: 0.1 (sgd), 0.05 (momentum), 0.001 (adam). */
    learningRate: z.number().gt(0).optional(),
    /** momentum only (default 0.9). */
    momentum: z.number().min(0).lt(1).optional(),
    nesterov: z.boolean().optional(),
  })
  .transform((o) => ({
    ...o,
    learningRate: o.learningRate ?? DEFAULT_LR[o.name],
    ...(o.name === "momentum" ? { momentum: o.momentum ?? 0.9 } : {}),
  }));

/** `true` = on with defaults, `false`/absent = off (compare: absent = on). */
const block = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === true ? {} : v === false ? null : v), schema.nullable().optional());

export const curvatureSchema = z.strictObject({
  /** Rademacher probes of the Hutchinson estimate. */
  samples: int(2, "samples").default(10),
  /** Measured on the first `maxSamples` test examples (a fixed subset, the same for every run). */
  maxSamples: int(1, "maxSamples").default(512),
  batchSize: int(1, "batchSize").default(256),
  /** Seed of the probes: the same probes for every run. */
  seed: int(0, "seed").default(1),
  /** Also after every epoch, with this many probes, on the validation data (0: only at the end). */
  perEpoch: int(0, "perEpoch").default(0),
  /**
   * Finite-difference step of the Hessian-vector products, relative to the weight norm. Small on
   * purpose: on ReLU networks a step that crosses ReLU kinks turns single probes into outliers
   * (measured on the trained example CNNs: steps 1e-3 … 1e-5 gave probes from −230 to +145 around
   * traces of 25–45; 3e-6 and 1e-6 agreed within float32 noise; 1e-7 was biased low by rounding).
   */
  relativeStep: z.number().gt(0).max(0.1).default(2e-6),
});

export const landscapeSchema = z.strictObject({
  /** Grid points per axis. */
  steps: int(3, "steps").default(11),
  /** The grid spans [−range, range] filter-normalized units along each direction. */
  range: z.number().gt(0).default(1),
  maxSamples: int(1, "maxSamples").default(256),
  seed: int(0, "seed").default(1),
});

/** The evaluate block (quantization setups: see evaluate.ts); train and sweep quantize nothing unless asked. */
export const evaluateSchema = evaluateBlock([]);

/** The fields of one training run; every command's config has them. */
export const trainFields = {
  $schema: z.string().optional(),
  /** Names the default output folder: runs/<name>. */
  name: z.string().regex(/^[\w.-]+$/, "use letters, digits, '_', '-' or '.'").optional(),
  model: z.unknown(),
  data: z.unknown(),
  optimizer: optimizerSchema.prefault({}),
  /** flatfit plugins, e.g. [{use: hero, gamma: 0.1}] — validated by @flatfit/core. */
  plugins: z.array(z.unknown()).default([]),
  epochs: int(1, "epochs").default(5),
  batchSize: int(1, "batchSize").default(32),
  /** Hold out the last fraction of the training split for validation (default: validate on the test split). */
  validationSplit: fraction("validationSplit").optional(),
  /**
   * Also evaluate the final float32 model on the whole training split (the labels it trained on):
   * summary.json's `train`, and in compare a "test−train loss" column (test loss minus this loss).
   */
  trainLoss: z.boolean().optional(),
  seed: int(0, "seed").max(2 ** 32 - 1).default(1),
  evaluate: evaluateSchema.prefault({}),
  curvature: block(curvatureSchema),
  landscape: block(landscapeSchema),
  backend: z.enum(["auto", "cpu", "tensorflow", "wasm", "webgl"]).default("auto"),
  logLevel: z.enum(["silent", "error", "warn", "info", "debug"]).default("info"),
};

export const trainSchema = z.strictObject(trainFields);

export const methodSchema = z.strictObject({
  name: z.string().min(1),
  /** The method's plugins ([] = the plain optimizer); the base `plugins` are appended. */
  plugins: z.array(z.unknown()).default([]),
  /** Overrides the base optimizer for this method. */
  optimizer: optimizerSchema.optional(),
  /** Overrides the base batch size for this method (e.g. one method per batch size, PertOPT Fig. 4). */
  batchSize: int(1, "batchSize").optional(),
  /** Overrides the base epochs for this method (e.g. the same number of steps at another batch size). */
  epochs: int(1, "epochs").optional(),
});

const workers = int(1, "workers").optional();

export const compareFields = {
  ...trainFields,
  title: z.string().optional(),
  methods: z.array(methodSchema).min(1, "list at least one method"),
  /** Every method trains once per seed (default: [seed]). */
  seeds: z.array(int(0, "a seed")).min(1).optional(),
  evaluate: evaluateBlock([8, 6, 5, 4]).prefault({}),
  /** The method the others are compared with, seed by seed (default: the first method). */
  baseline: z.string().min(1).optional(),
  /** Parallel trainings (worker threads); default 1. */
  workers,
};

export const compareSchema = z.strictObject(compareFields).superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.methods.forEach((m, i) => {
      if (seen.has(m.name)) ctx.addIssue({ code: "custom", path: ["methods", i, "name"], message: `method name "${m.name}" is used twice (also methods[${seen.get(m.name)}])` });
      else seen.set(m.name, i);
    });
    if (c.baseline !== undefined && !seen.has(c.baseline)) {
      ctx.addIssue({ code: "custom", path: ["baseline"], message: `no method is named "${c.baseline}"; accepted: ${c.methods.map((m) => JSON.stringify(m.name)).join(", ")}` });
    }
  });

export const sweepFields = {
  ...trainFields,
  /** Paths into this config → values: {"plugins[0].gamma": [0.01, 0.1], "optimizer.learningRate": [0.1, 0.05]}. */
  grid: z.record(z.string(), z.array(z.unknown()).min(1, "list at least one value")),
  /** What ranks the trials: "acc@float32" (default), "acc@4bit", "loss@float32", "val_acc" (last epoch), "hessianTrace", "secondsPerEpoch". */
  metric: z.string().min(1).default("acc@float32"),
  /** Default: "max" for accuracies, "min" otherwise. */
  order: z.enum(["max", "min"]).optional(),
  /** Parallel trials (worker threads); default one per core. */
  workers,
};

export const sweepSchema = z.strictObject(sweepFields);

export type * from "./types";
