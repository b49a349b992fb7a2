/**
 * Data specs → data sets: MNIST digits with the fixed split of @flatfit/data, or a CSV table
 * (shuffled with a fixed seed, the tail is the test split, features standardized with the
 * training split's statistics). An optional validation split comes off the end of the training
 * split; label noise then applies to the training labels only, with exactly round(ratio·n)
 * labels redrawn (HERO Table 2's protocol), and the run records the counts.
 */
import * as path from "node:path";
import { count, loadCsv, loadMnist, permutation, seededRandom, splitTail, standardize, subset, symmetricLabelNoise, type Dataset } from "@flatfit/data";
import type { DataSpec } from "./config/schema";

export interface LabelNoiseRecord {
  ratio: number;
  /** Training examples the noise was applied to. */
  n: number;
  /** Labels redrawn: exactly round(ratio · n). */
  resampled: number;
  /** Of those, labels that changed (about (1 − 1/classes) of them). */
  changed: number;
  seed: number;
}

export interface DataInfo {
  description: string;
  shape: number[];
  classes: number;
  train: number;
  validation?: number;
  test: number;
  labelNoise?: LabelNoiseRecord;
}

export interface RunData {
  train: Dataset;
  /** The held-out part of the training split (validationSplit), if any. */
  validation?: Dataset;
  test: Dataset;
  info: DataInfo;
  /** With label noise: the training labels before and after. */
  labels?: { clean: Int32Array; noisy: Int32Array };
}

function base(spec: DataSpec, baseDir: string): { train: Dataset; test: Dataset; description: string } {
  if ("csv" in spec) {
    const file = path.resolve(baseDir, spec.csv);
    const all = loadCsv(file, { label: spec.label, header: spec.header, delimiter: spec.delimiter });
    const shuffled = subset(all, permutation(count(all), seededRandom(spec.splitSeed)));
    const { head, tail } = splitTail(shuffled, spec.testFraction);
    const [train, test] = spec.standardize ? standardize(head, tail) : [head, tail];
    return { train, test, description: `${spec.csv}: ${count(all)} rows, ${all.shape[0]} features, ${all.classes} classes; test: last ${Math.round(100 * spec.testFraction)}% after a shuffle (seed ${spec.splitSeed})` };
  }
  const trainLimit = spec.trainLimit ?? spec.limit;
  const testLimit = spec.testLimit ?? spec.limit;
  const train = loadMnist({ split: "train", limit: trainLimit, layout: spec.layout });
  const test = loadMnist({ split: "test", limit: testLimit, layout: spec.layout });
  return { train, test, description: `MNIST digits (mnist package, fixed split): ${count(train)} train, ${count(test)} test` };
}

/** The data of a run with seed `seed` (the label-noise draw uses it). */
export function loadRunData(spec: DataSpec, baseDir: string, seed: number, validationSplit?: number): RunData {
  const b = base(spec, baseDir);
  let train = b.train;
  let validation: Dataset | undefined;
  if (validationSplit !== undefined) {
    const split = splitTail(train, validationSplit);
    train = split.head;
    validation = split.tail;
  }
  let labelNoise: LabelNoiseRecord | undefined;
  let labels: RunData["labels"];
  let description = b.description;
  if (spec.labelNoise > 0) {
    const { data, report } = symmetricLabelNoise(train, spec.labelNoise, seed);
    labelNoise = { ratio: spec.labelNoise, n: count(train), ...report, seed };
    labels = { clean: train.labels, noisy: data.labels };
    train = data;
    description += `; symmetric label noise ${spec.labelNoise} on the training labels (${report.resampled} redrawn, ${report.changed} changed)`;
  }
  if (validation) description += `; validation: last ${count(validation)} training examples`;
  const info: DataInfo = {
    description,
    shape: train.shape,
    classes: train.classes,
    train: count(train),
    ...(validation ? { validation: count(validation) } : {}),
    test: count(b.test),
    ...(labelNoise ? { labelNoise } : {}),
  };
  return { train, validation, test: b.test, info, labels };
}
