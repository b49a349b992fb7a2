/** @flatfit/data — real data without downloads: MNIST digits, CSV tables, label noise. */
export { type Dataset, toTensors, subset, splitTail, reshape, count, exampleSize } from "./dataset";
export { loadMnist, type MnistOptions } from "./mnist";
export { loadCsv, splitCsvLine, standardize, CsvError, type CsvOptions } from "./csv";
export { symmetricLabelNoise, type NoiseReport } from "./noise";
export { seededRandom, permutation } from "./random";
