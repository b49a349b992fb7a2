/**
 * installBackendExtras() on webgl and webgpu, in Node (the shaders themselves run in Chromium:
 * test/src/browser/gpu.test.ts): a kernel is registered for each fused kernel with an elementwise
 * form, declared before or after the call; one without keeps its tf-ops path; and nothing loads
 * @tensorflow/tfjs-backend-webgpu.
 */
import test from "ava";
import * as tf from "@tensorflow/tfjs";
import { installBackendExtras, shaderFusedKernelNames } from "@flatfit/backends";
import { defineFusedKernel, fusedExpr as e } from "@flatfit/core";

const CORE = ["FlatfitLinearCombination", "FlatfitSumOfSquares", "FlatfitDot", "FlatfitSecondMoment"];

test("webgl and webgpu get a kernel for every fused kernel with an elementwise form, declared before or after installBackendExtras, and tfjs-backend-webgpu stays unloaded", (t) => {
  const first = installBackendExtras({ backends: ["webgl", "webgpu"] });
  t.deepEqual(first, [...CORE.map((k) => `${k}@webgl`), ...CORE.map((k) => `${k}@webgpu`)]);
  t.deepEqual(installBackendExtras({ backends: ["webgl", "webgpu"] }), [], "a second call registers nothing");
  defineFusedKernel<{ a: number }>({
    name: "ShaderInstallTestAxpy",
    cpu: ([x, y], { a }) => [Float32Array.from(x, (v, i) => a * v + y[i])],
    elementwise: () => ({ expr: e.add(e.mul(e.attr("a"), e.input(0)), e.input(1)) }),
    ops: ([x, y], { a }) => [tf.add(tf.mul(x, a), y)],
  });
  defineFusedKernel({ name: "ShaderInstallTestNoForm", cpu: ([x]) => [Float32Array.from(x)], ops: ([x]) => [tf.clone(x)] });
  for (const backend of ["webgl", "webgpu"] as const) {
    t.deepEqual(shaderFusedKernelNames(backend), [...CORE, "ShaderInstallTestAxpy"]);
    t.truthy(tf.getKernel("ShaderInstallTestAxpy", backend), `declared later: registered for ${backend}`);
    t.true(tf.getKernel("ShaderInstallTestNoForm", backend) === undefined, `no elementwise form: ${backend} runs its tf ops`);
  }
  t.false(
    Object.keys(require.cache).some((f) => f.includes("tfjs-backend-webgpu")),
    "@tensorflow/tfjs-backend-webgpu was not loaded",
  );
});
