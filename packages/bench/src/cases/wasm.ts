/**
 * wasm: every method's step time inside `model.fit` as a ratio to plain `model.fit`, on
 * tfjs-backend-wasm with @flatfit/backends' extras (its gradient kernels, and the methods' fused
 * kernels as wasm kernels), for the MLP and the CNN in one run (variants interleaved within each
 * model, medians). Where PyTorch is installed (`python3 -c "import torch"`), the same CNN's plain
 * step in PyTorch on one CPU thread is an extra row, for scale; it is optional and skipped silently.
 */
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { cnnProblem, mlpProblem } from "../problems";
import { table } from "../timing";
import { installExtras } from "../extras";
import { ENTRIES, problemTable, type Entry } from "./plugins";

const WASM_ENTRIES: Entry[] = [{ label: "no plugins (`ff.wrap` + `ff.callbacks()`)", plugins: [], target: 1.03 }, ...ENTRIES];

/**
 * The bench CNN (conv8 3×3 same → BN → ReLU → max-pool 2 → conv16 3×3 same ReLU → max-pool 2 →
 * dense 10 softmax) trained in PyTorch, SGD 0.01, batch 64, 512 random 16×16×1 images, one thread:
 * median ms per step of 7 epochs after one warm-up epoch. Printed as one number.
 */
const TORCH_CNN = `
import time, statistics, torch
torch.set_num_threads(1)
torch.manual_seed(0)
x = torch.rand(512, 1, 16, 16)
y = torch.randint(0, 10, (512,))
m = torch.nn.Sequential(
    torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(16 * 4 * 4, 10))
opt = torch.optim.SGD(m.parameters(), lr=0.01)
loss_fn = torch.nn.CrossEntropyLoss()
def epoch():
    t0 = time.perf_counter()
    for i in range(0, 512, 64):
        opt.zero_grad()
        loss = loss_fn(m(x[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
    return (time.perf_counter() - t0) * 1000 / 8
epoch()
print(statistics.median(epoch() for _ in range(7)))
`;

/** PyTorch's ms/step and version for the CNN on one thread, or undefined when PyTorch is not installed. */
function torchCnnMs(): { ms: number; version: string } | undefined {
  const version = spawnSync("python3", ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  if (version.status !== 0) return undefined;
  const run = spawnSync("python3", ["-c", TORCH_CNN], { encoding: "utf8", timeout: 300_000 });
  const ms = Number(run.stdout?.trim());
  return run.status === 0 && Number.isFinite(ms) ? { ms, version: version.stdout.trim() } : undefined;
}

export async function wasmCase(repeats: number): Promise<string> {
  const before = tf.getBackend();
  await import("@tensorflow/tfjs-backend-wasm"); // registers wasm
  installExtras();
  await tf.setBackend("wasm");
  const flags = `SIMD ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "on" : "off"}, threads ${tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") ? "on" : "off"}`;
  try {
    const problems = [mlpProblem(), cnnProblem()]; // data on wasm
    const tables: Awaited<ReturnType<typeof problemTable>>[] = [];
    for (const p of problems) tables.push(await problemTable(p, repeats, WASM_ENTRIES));
    const labels = ["plain `model.fit`", ...WASM_ENTRIES.map((e) => e.label)];
    const targets = [undefined, ...WASM_ENTRIES.map((e) => e.target)];
    const rows = labels.map((label, i) => {
      const [mlp, cnn] = tables.map((t) => t.rows[i]);
      const ok = (ratio: string) => (targets[i] === undefined ? "" : Number(ratio) <= targets[i]! ? " ✓" : " ✗");
      return [label, `${mlp[1]} / ${cnn[1]}`, mlp[2], `${mlp[3]}${ok(String(mlp[3]))}`, cnn[2], `${cnn[3]}${ok(String(cnn[3]))}`, targets[i] === undefined ? "" : `≤ ${targets[i]}`];
    });
    const torch = torchCnnMs();
    const cnnPlain = tables[1].ms.get("plain")!;
    if (torch) rows.push([`PyTorch ${torch.version}, CPU, 1 thread: plain training step`, "1", "", "", torch.ms.toFixed(1), `(wasm plain fit: ${(cnnPlain / torch.ms).toFixed(1)}×)`, ""]);
    tf.dispose(problems.flatMap((p) => [p.x, p.y]));
    const [mlpName, cnnName] = problems.map((p) => `${p.name} (${p.x.shape[0]} examples)`);
    return [
      `### wasm + extras: plugins inside \`model.fit\`, batch 64, median of ${repeats} (wasm: ${flags})`,
      "",
      `MLP: ${mlpName}; CNN: ${cnnName}. Each model's variants interleaved in one run.`,
      "",
      table(["method", "gradient evaluations / step (MLP / CNN)", "MLP ms / step", "MLP ratio", "CNN ms / step", "CNN ratio", "target"], rows),
      "",
      "Extras: `installBackendExtras()` (the gradient kernels wasm lacks or gets wrong, a faster Tile and Conv2DBackpropInput, and",
      "the methods' fused kernels as wasm kernels: each one pass over the wasm heap).",
    ].join("\n");
  } finally {
    await tf.setBackend(before);
  }
}
