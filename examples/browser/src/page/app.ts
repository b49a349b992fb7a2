/**
 * The example page: pick a backend and a method, train a small network on MNIST digits with
 * flatfit inside plain `model.fit`, and watch loss, accuracy and accuracy at 8/6/4 bits per epoch.
 * URL parameters preset the form: ?backend=webgpu&method=nso&epochs=3&train=500&autostart=1.
 */
import "reflect-metadata";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { installBackendExtras } from "@flatfit/backends";
import { createFlatfit } from "@flatfit/core";
import { drawChart, type Point } from "./chart";
import { BITS, METHODS, pluginsFor } from "./methods";
import { loadDigits, type Digits } from "./mnist";

// flatfit's fused kernels (the methods' per-parameter arithmetic) as one shader program each on webgl and webgpu
installBackendExtras();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>("controls");
const backendSel = $<HTMLSelectElement>("backend");
const methodSel = $<HTMLSelectElement>("method");
const epochsIn = $<HTMLInputElement>("epochs");
const button = $<HTMLButtonElement>("train");
const status = $<HTMLDivElement>("status");
const chart = $<HTMLElement>("chart");
const rowsTable = $<HTMLTableElement>("rows");

const params = new URLSearchParams(location.search);
const limits = { train: Number(params.get("train") ?? 1000), test: 500 };
let data: Promise<{ train: Digits; test: Digits }> | undefined;

for (const [id, { label }] of Object.entries(METHODS)) methodSel.add(new Option(label, id));
backendSel.value = params.get("backend") ?? backendSel.value;
methodSel.value = params.get("method") ?? methodSel.value;
epochsIn.value = params.get("epochs") ?? epochsIn.value;

function say(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle("error", error);
}

function model(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 64, inputShape: [784], kernelInitializer: tf.initializers.heNormal({ seed: 1 }) }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.activation({ activation: "relu" }));
  m.add(tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return m;
}

function epochPoints(epoch: number, logs: tf.Logs): Point[] {
  const p = (series: string, key: string, panel: Point["panel"]): Point[] => (key in logs ? [{ epoch, series, value: logs[key], panel }] : []);
  return [
    ...p("train", "loss", "loss"),
    ...p("validation", "val_loss", "loss"),
    ...p("train", "acc", "accuracy"),
    ...p("validation float32", "val_acc", "accuracy"),
    ...BITS.flatMap((b) => p(`validation ${b}-bit`, `val_acc@${b}bit`, "accuracy")),
  ];
}

function showRows(rows: Array<{ variant: string; loss: number; metrics: Record<string, number> }>): void {
  rowsTable.innerHTML = "<tr><th>weights</th><th>test loss</th><th>test accuracy</th></tr>";
  for (const r of rows) {
    const tr = rowsTable.insertRow();
    for (const text of [r.variant, r.loss.toFixed(4), `${(100 * (r.metrics.acc ?? NaN)).toFixed(1)} %`]) tr.insertCell().textContent = text;
  }
}

async function train(): Promise<void> {
  const backend = backendSel.value;
  const method = methodSel.value;
  const epochs = Math.max(1, Math.min(50, Number(epochsIn.value) || 1));
  button.disabled = true;
  document.body.dataset.state = "training";
  rowsTable.replaceChildren();
  try {
    if (!(await tf.setBackend(backend))) {
      throw new Error(backend === "webgpu" ? "WebGPU is not available in this browser (no navigator.gpu adapter): pick webgl or cpu" : `backend ${backend} could not start here`);
    }
    await tf.ready();
    say(`loading digits… (backend ${tf.getBackend()})`);
    data ??= loadDigits(limits);
    const { train: tr, test } = await data;
    const ff = await createFlatfit({ seed: 1, plugins: pluginsFor(method) }, { logSink: (_level, message) => console.log(`[flatfit] ${message}`) });
    const m = model();
    m.compile({ optimizer: ff.wrap(tf.train.sgd(0.1)), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const points: Point[] = [];
    const started = performance.now();
    await drawChart(chart, points);
    await m.fit(tr.x, tr.y, {
      epochs,
      batchSize: 32,
      validationData: [test.x, test.y],
      callbacks: [
        ff.callbacks({ validationData: [test.x, test.y] }),
        new tf.CustomCallback({
          onEpochEnd: async (epoch, logs) => {
            points.push(...epochPoints(epoch + 1, logs ?? {}));
            await drawChart(chart, points);
            const l = logs ?? {};
            const bits = BITS.map((b) => `${b}-bit ${(100 * l[`val_acc@${b}bit`]).toFixed(1)} %`).join(" · ");
            say(`epoch ${epoch + 1}/${epochs} on ${tf.getBackend()} · loss ${l.loss?.toFixed(4)} · validation ${(100 * l.val_acc).toFixed(1)} % · ${bits} · ${((performance.now() - started) / 1000).toFixed(1)} s`);
          },
        }),
      ],
    });
    showRows(await ff.evaluate(m, test.x, test.y));
    ff.dispose();
    m.dispose();
    document.body.dataset.state = "done";
  } catch (err) {
    say(String((err as Error).message ?? err), true);
    console.error(err);
    document.body.dataset.state = "error";
  } finally {
    button.disabled = false;
  }
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  void train();
});
if (params.get("autostart") === "1") void train();
