/** Core: `fit` through `ff.wrap` with no plugins against plain `fit`, same model and data. */
import * as tf from "@tensorflow/tfjs";
import { createFlatfit } from "@flatfit/core";
import { mlpProblem } from "../problems";
import { fitStepMs, sideBySide, table } from "../timing";

export async function coreCase(repeats: number): Promise<string> {
  const p = mlpProblem();
  const ff = await createFlatfit({ seed: 1, logLevel: "warn" });
  const plain = p.build();
  plain.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const wrapped = p.build();
  wrapped.compile({ optimizer: ff.wrap(tf.train.sgd(0.01)), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const ms = await sideBySide(
    [
      { name: "plain", run: () => fitStepMs(plain, p.x, p.y, p.batchSize) },
      { name: "wrap", run: () => fitStepMs(wrapped, p.x, p.y, p.batchSize, [ff.callbacks()]) },
    ],
    repeats,
  );
  const base = ms.get("plain")!;
  const ratio = ms.get("wrap")! / base;
  return [
    `### Core: \`fit\` through \`ff.wrap\`, no plugins (${p.name}, batch ${p.batchSize}, median of ${repeats})`,
    "",
    table(
      ["variant", "ms / step", "ratio to plain fit", "target"],
      [
        ["plain `model.fit`", base.toFixed(2), "1.00", ""],
        ["`fit` through `ff.wrap` (+ `ff.callbacks()`)", ms.get("wrap")!.toFixed(2), ratio.toFixed(3), "≤ 1.03"],
      ],
    ),
  ].join("\n");
}
