/**
 * Backends: plain `model.fit` ms/step of the MLP and the CNN on tfjs's `cpu` backend with its
 * stock kernels, on `cpu` with @flatfit/backends' extras, and on `wasm` with the extras, side by
 * side in one run. The cpu variants swap the registered Conv2DBackpropFilter before each run.
 */
import * as tf from "@tensorflow/tfjs";
import { cnnProblem, mlpProblem, type Problem } from "../problems";
import { fitStepMs, sideBySide, table, type Variant } from "../timing";
import { extrasOn } from "../extras";

interface Setup {
  name: string;
  backend: string;
  extras: boolean;
}

const SETUPS: Setup[] = [
  { name: "`cpu`, stock kernels", backend: "cpu", extras: false },
  { name: "`cpu` + extras", backend: "cpu", extras: true },
  { name: "`wasm` + extras", backend: "wasm", extras: true },
];

async function variantFor(p: Problem, s: Setup): Promise<Variant> {
  await tf.setBackend(s.backend);
  // the model and a copy of the data live on this variant's backend
  const x = tf.tensor(p.x.dataSync(), p.x.shape);
  const y = tf.tensor(p.y.dataSync(), p.y.shape);
  const m = p.build();
  m.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return {
    name: s.name,
    run: async () => {
      await tf.setBackend(s.backend);
      extrasOn(s.extras);
      return fitStepMs(m, x, y, p.batchSize);
    },
  };
}

export async function backendsCase(repeats: number): Promise<string> {
  const before = tf.getBackend();
  await import("@tensorflow/tfjs-backend-wasm"); // registers wasm; the active backend stays
  const rows: (string | number)[][] = [];
  for (const p of [mlpProblem(), cnnProblem()]) {
    const variants: Variant[] = [];
    for (const s of SETUPS) variants.push(await variantFor(p, s));
    const ms = await sideBySide(variants, repeats);
    const base = ms.get(SETUPS[0].name)!;
    for (const s of SETUPS) rows.push([p.name, s.name, ms.get(s.name)!.toFixed(1), (base / ms.get(s.name)!).toFixed(2)]);
  }
  extrasOn(true);
  await tf.setBackend(before);
  const wasmFlags = `SIMD ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "on" : "off"}, threads ${tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") ? "on" : "off"}`;
  return [
    `### Backends: plain \`model.fit\`, batch 64, median of ${repeats} (wasm: ${wasmFlags})`,
    "",
    table(["model", "backend", "ms / step", "speed-up over stock `cpu`"], rows),
    "",
    "Extras: `installBackendExtras()` from `@flatfit/backends` (Conv2DBackpropFilter for `cpu`; for `wasm`",
    "the gradient kernels it lacks or gets wrong, a faster Tile and Conv2DBackpropInput). The MLP has no convolution: its `cpu` rows",
    "differ by noise only.",
  ].join("\n");
}
