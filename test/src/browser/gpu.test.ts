/**
 * flatfit on tfjs's GPU backends, in headless Chromium: WebGL (SwiftShader) and WebGPU
 * (@tensorflow/tfjs-backend-webgpu on a SwiftShader adapter). The packages are bundled by esbuild
 * into one page served from 127.0.0.1 (see harness.ts); for each backend and each gradient method:
 * @flatfit/testing's fit contract, the same code the Node tests run, on every entry point (fit with
 * validationSplit, fitDataset with a Dataset for validation, trainOnBatch, optimizer.minimize
 * through ff.wrap, ff.step in a tidy; a two-output model; a layer frozen after compile): reported
 * loss and metrics and BatchNorm statistics as plain tfjs's, every weight bit-exact at learning
 * rate 0, no device→host read inside a step — counted at the backend, where each is a GPU
 * readback — epoch and batch numbers in the steps, numTensors stable over a second run; core's
 * sums over many tensors (global norms) and every fused kernel's shader program (installBackendExtras
 * registers them; each must run as its own program), and each method's training against the cpu
 * backend (fused loops); quantize-on-eval's rows and
 * @flatfit/metrics' trace against the cpu backend and the known trace. A console error on the page
 * fails the test that caused it; so does a WebGPU validation message (Chromium prints those as
 * warnings: the pipeline is invalid, its command buffer is dropped and the ops in it give garbage).
 */
import test from "ava";
import { checkFitContract, relError } from "@flatfit/testing";
import { BrowserHarness, type BackendPage } from "./harness";
import { METHODS } from "../methods";
import { SHADER_KERNELS } from "../shader-kernels";

const BACKENDS = ["webgl", "webgpu"] as const;


/** float32 agreement of two backends' arithmetic (different summation orders, fused loops vs shaders). */
const KERNEL_TOLERANCE = 1e-5;
/** Six training steps on each backend, same seeds (measured: 3e-8 … 2e-5, seht the largest). */
const TRAINING_TOLERANCE = 1e-4;

let harness: BrowserHarness | undefined;
const pages = new Map<string, BackendPage>();

test.before(async () => {
  harness = await BrowserHarness.start();
});

test.after.always(async () => {
  await harness?.close();
});

/** The page's console errors since `seen`, each distinct one once. */
const newErrors = (page: BackendPage, seen: number) => [...new Set(page.errors.slice(seen))];

async function pageFor(backend: string): Promise<BackendPage> {
  if (!pages.has(backend)) pages.set(backend, await harness!.open(backend));
  return pages.get(backend)!;
}

for (const backend of BACKENDS) {
  test.serial(`${backend}: the page runs on ${backend}, says so in browser terms, and asks for plugin classes`, async (t) => {
    const page = await pageFor(backend);
    t.is(page.backend, backend);
    t.is(page.probe.reads, 1, "the counter sees the one readback of data()");
    t.true(page.probe.programs >= 1, `the counter sees GPU programs (${page.probe.programs} for ones, fill and add)`);
    if (backend === "webgpu") t.regex(page.adapter ?? "", /swiftshader/i, `adapter ${page.adapter}`);
    const line = page.log.find((l) => l.startsWith("backend:"));
    t.is(line, `backend: ${backend} (the page's tfjs backend; pick another with tf.setBackend before createFlatfit, or the config's backend field)`);
    t.notRegex(page.log.join("\n"), /tfjs-node/);
    t.regex(await page.call("stringUseError"), /plugins\[0\]\.use: "hero" names a plugin to load by name or path, which needs Node \(require\)\. In a browser, import the plugin and pass its class: import HeroPlugin from "@flatfit\/plugin-hero"; \{use: HeroPlugin\}/);
    t.deepEqual(page.errors, []);
  });

  for (const { name, plugins } of METHODS) {
    test.serial(`${backend}: fit contract on every entry point, ${name}`, async (t) => {
      const page = await pageFor(backend);
      const seen = page.errors.length;
      const r = await page.call("contract", plugins);
      t.deepEqual(Object.keys(r.ms), [...checkFitContract.entries], "every entry point ran");
      checkFitContract.assert(t, r);
      t.log(Object.entries(r.ms).map(([entry, ms]) => `${entry} ${((ms as number) / 1000).toFixed(1)}s`).join(", "));
      t.deepEqual(newErrors(page, seen), [], "no console errors (WebGPU validation included)");
    });
  }

  test.serial(`${backend}: core's sums over 4, 7, 8 and 9 tensors (global norms, dot products of a model's variables) match the cpu backend`, async (t) => {
    const page = await pageFor(backend);
    const seen = page.errors.length;
    for (const r of await page.call("manyTensorSums")) {
      const err = relError([r.here], [r.cpu]);
      t.true(err <= KERNEL_TOLERANCE, `${r.name}: ${r.here} vs cpu ${r.cpu} (relative difference ${err.toExponential(2)})`);
    }
    t.deepEqual(newErrors(page, seen), [], "no console errors (WebGPU validation included)");
  });

  test.serial(`${backend}: every fused kernel with an elementwise form (core's, HERO's, PertOPT's) runs as its own shader program, matches the cpu backend's fused loop and leaves no tensor`, async (t) => {
    const page = await pageFor(backend);
    const seen = page.errors.length;
    const kernels = await page.call("shaderKernels", backend);
    for (const name of SHADER_KERNELS) t.true(kernels.includes(name), `${name} is registered for ${backend}`);
    const results = await page.call("fusedKernels");
    t.is(results.length, 7 + 5 * 8);
    for (const r of results) {
      const err = relError(r.here, r.cpu);
      t.true(err <= KERNEL_TOLERANCE, `${r.name}: relative difference ${err.toExponential(2)}`);
      t.is(r.leaked, 0, `${r.name}: tensors left after a call outside a tidy`);
      // its own program ran (a sum: one or two passes), not the tf-ops path
      t.true(r.shaderRuns >= 1 && r.shaderRuns <= 2, `${r.name}: ${r.shaderRuns} programs of its shader (of ${r.programs})`);
    }
    t.deepEqual(newErrors(page, seen), [], "no console errors (WebGPU validation included)");
  });

  for (const { name, plugins } of METHODS.slice(1)) {
    test.serial(`${backend}: ${name} trains as on the cpu backend (6 steps, same seeds; fused kernels' shaders vs fused loops)`, async (t) => {
      const page = await pageFor(backend);
      const { here, cpu, untrained } = await page.call("trainBoth", plugins);
      const err = relError(here, cpu);
      t.true(err <= TRAINING_TOLERANCE, `weights differ by ${err.toExponential(2)}`);
      t.true(relError(here, untrained) > 1e-2, "training moved the weights");
      t.log(`${name}: relative difference to cpu ${err.toExponential(2)}`);
    });
  }

  test.serial(`${backend}: quantize-on-eval's rows (ff.evaluate) agree with the cpu backend`, async (t) => {
    const page = await pageFor(backend);
    const { here, cpu } = await page.call("quantizeRows");
    t.deepEqual(
      here.map((r) => r.variant),
      ["float32", "8bit", "6bit", "4bit"],
    );
    t.deepEqual(
      cpu.map((r) => r.variant),
      here.map((r) => r.variant),
    );
    here.forEach((row, i) => {
      t.true(relError([row.loss], [cpu[i].loss]) <= 1e-4, `${row.variant}: loss ${row.loss} vs cpu ${cpu[i].loss}`);
      t.is(row.metrics.acc, cpu[i].metrics.acc, `${row.variant}: accuracy`);
    });
  });

  test.serial(`${backend}: @flatfit/metrics' Hessian trace of a quadratic agrees with the cpu backend and with tr(A)`, async (t) => {
    const page = await pageFor(backend);
    const seen = page.errors.length;
    const { here, cpu, exact } = await page.call("quadraticTrace");
    t.true(relError([here.value], [cpu.value]) <= 1e-3, `trace ${here.value} vs cpu ${cpu.value}`);
    t.true(Math.abs(here.value - exact) <= 4 * here.stdError + 1e-3 * exact, `trace ${here.value} ± ${here.stdError} vs exact ${exact}`);
    t.deepEqual(newErrors(page, seen), [], "no console errors (WebGPU validation included)");
  });
}
