/** Backend extras for tfjs: training kernels that a backend lacks or runs slowly, registered with one call. */
export { installBackendExtras, EXTRAS, EXTRA_BACKENDS, type BackendExtrasOptions, type ExtraBackend } from "./install";
export { backpropFilterInto, convInfoOf, type BackpropFilterAttrs } from "./conv2d-backprop-filter";
export { wasmFusedKernelNames } from "./wasm/fused-kernels";
export { shaderFusedKernelNames, SHADER_BACKENDS, type ShaderBackend } from "./fused/install";
export { glslElementwise, glslRowSums, glslTotal, type WebGLProgramSpec } from "./fused/webgl";
export { wgslElementwise, wgslSum, type WebGPUProgramSpec } from "./fused/webgpu";
