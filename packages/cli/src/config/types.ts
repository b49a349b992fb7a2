/** The resolved configs: what the schemas output once `model` and `data` are picked by shape. */
import type { z } from "@flatfit/core";
import type { EvaluateSpec } from "./evaluate";
import type { cnnSchema, csvSchema, curvatureSchema, landscapeSchema, mlpSchema, mnistSchema, moduleModelSchema, optimizerSchema, savedModelSchema } from "./schema";

export type MlpSpec = z.output<typeof mlpSchema>;
export type CnnSpec = z.output<typeof cnnSchema>;
export type ZooSpec = MlpSpec | CnnSpec;
export type SavedModelSpec = z.output<typeof savedModelSchema>;
export type ModuleModelSpec = z.output<typeof moduleModelSchema>;
export type ModelSpec = ZooSpec | SavedModelSpec | ModuleModelSpec;
export type MnistSpec = z.output<typeof mnistSchema>;
export type CsvSpec = z.output<typeof csvSchema>;
export type DataSpec = MnistSpec | CsvSpec;
export type OptimizerSpec = z.output<typeof optimizerSchema>;
export type CurvatureSpec = z.output<typeof curvatureSchema>;
export type LandscapeSpec = z.output<typeof landscapeSchema>;
export type { EvaluateSpec, SetupSpec } from "./evaluate";
export type PluginSpec = { use: string; [option: string]: unknown };

/** One resolved training run: what `train` runs, and what compare/sweep run per method, seed or trial. */
export interface TrainConfig {
  name?: string;
  model: ModelSpec;
  data: DataSpec;
  optimizer: OptimizerSpec;
  plugins: PluginSpec[];
  epochs: number;
  batchSize: number;
  validationSplit?: number;
  /** Evaluate the final model on the training split too (compare: a test−train loss column). */
  trainLoss?: boolean;
  seed: number;
  evaluate: EvaluateSpec;
  curvature?: CurvatureSpec;
  landscape?: LandscapeSpec;
  backend: "auto" | "cpu" | "tensorflow" | "wasm" | "webgl";
  logLevel: "silent" | "error" | "warn" | "info" | "debug";
}

export interface Method {
  name: string;
  plugins: PluginSpec[];
  optimizer?: OptimizerSpec;
  batchSize?: number;
  epochs?: number;
}

export interface CompareConfig {
  name?: string;
  title?: string;
  /** The base run (its `seed` is the first of `seeds`; curvature and landscape on unless set to false). */
  base: TrainConfig;
  methods: Method[];
  /** The method the others' paired differences are taken against (default: the first). */
  baseline: string;
  seeds: number[];
  workers: number;
}

export interface SweepConfig {
  name?: string;
  base: TrainConfig;
  grid: Record<string, unknown[]>;
  metric: string;
  order?: "max" | "min";
  workers?: number;
}
