/** A comparison result with known numbers, shaped as the CLI writes it. */
import { stat, type CompareReport, type MethodResult } from "@flatfit/report";

function method(name: string, acc: number[], trace: number): MethodResult {
  const bits = [8, 6, 5, 4];
  return {
    name,
    plugins: name === "plain" ? [] : [{ use: name }],
    seeds: [1, 2],
    histories: [0, 1].map((s) =>
      [0, 1, 2].map((e) => ({ loss: 1 / (e + 1) + 0.01 * s, acc: 0.5 + 0.1 * e, val_loss: 1.1 / (e + 1), val_acc: 0.5 + 0.12 * e + 0.01 * s, hessian_trace: trace * (1 + e) })),
    ),
    evaluation: [
      { variant: "float32", loss: stat([0.3, 0.32]), metrics: { acc: stat([acc[0], acc[0] + 0.01]) } },
      ...bits.map((b, i) => ({ variant: `${b}bit`, bits: b, loss: stat([0.3 + i, 0.31 + i]), metrics: { acc: stat([acc[i + 1], acc[i + 1] - 0.01]) } })),
    ],
    secondsPerEpoch: stat([1.5, 1.7]),
    hessianTrace: stat([trace, trace * 1.1]),
    landscape: {
      alphas: [-1, -0.5, 0, 0.5, 1],
      betas: [-1, -0.5, 0, 0.5, 1],
      values: [-1, -0.5, 0, 0.5, 1].map((b) => [-1, -0.5, 0, 0.5, 1].map((a) => 0.2 + trace * (a * a + 2 * b * b))),
    },
  };
}

export const report: CompareReport = {
  title: "flatfit compare: fixture",
  setup: { data: "fixture", model: "none", epochs: "3" },
  methods: [method("plain", [0.9, 0.9, 0.88, 0.8, 0.5], 40), method("hero", [0.91, 0.91, 0.9, 0.88, 0.75], 10)],
  createdAt: "2026-01-01T00:00:00Z",
  machine: "test",
  metric: "acc",
};
