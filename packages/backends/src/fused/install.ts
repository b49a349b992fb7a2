/**
 * Registers, for webgl and webgpu, a shader kernel for every fused kernel (`defineFusedKernel` in
 * @flatfit/core) that states an elementwise form: those declared so far and each one declared
 * later, as plugins are imported. Kernels without one keep their tf-ops path there.
 */
import * as tf from "@tensorflow/tfjs";
import { onFusedKernelDefined, type AnyFusedKernelSpec } from "@flatfit/core";
import { webglFusedKernel } from "./webgl";
import { webgpuFusedKernel } from "./webgpu";

export const SHADER_BACKENDS = ["webgl", "webgpu"] as const;
export type ShaderBackend = (typeof SHADER_BACKENDS)[number];

const KERNELS: Record<ShaderBackend, (spec: AnyFusedKernelSpec) => tf.KernelConfig> = { webgl: webglFusedKernel, webgpu: webgpuFusedKernel };
const registered: Record<ShaderBackend, string[]> = { webgl: [], webgpu: [] };
const listening = new Set<ShaderBackend>();

/**
 * Registers shader kernels on `backend` for the fused kernels with an elementwise form, now and as
 * they are declared; returns the names this call registered (none on a second call).
 */
export function installShaderFusedKernels(backend: ShaderBackend): string[] {
  if (listening.has(backend)) return [];
  listening.add(backend);
  const now: string[] = [];
  onFusedKernelDefined((spec) => {
    if (!spec.elementwise || tf.getKernel(spec.name, backend) !== undefined) return;
    tf.registerKernel(KERNELS[backend](spec));
    registered[backend].push(spec.name);
    now.push(spec.name);
  });
  return now.slice();
}

/** The fused kernels that run as one shader program on `backend` so far, in order of registration. */
export function shaderFusedKernelNames(backend: ShaderBackend): readonly string[] {
  return registered[backend].slice();
}
