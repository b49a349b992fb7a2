/**
 * Fused kernels on tfjs-backend-webgpu: a kernel's elementwise form compiled into one WGSL compute
 * program (tfjs's WebGPUProgram, run by `backend.runWebGPUProgram`). Tensors are flat storage
 * buffers there, so every input is read at the flat index of the element computed. `reduce: "sum"`
 * is one program: a single workgroup evaluates the expression over the tensor, strided, and sums
 * in workgroup memory, as tfjs's own reduction does; no separate expression pass. Attrs are
 * constants in the code; the program's shader key names the kernel, input count and attr values,
 * so tfjs's pipeline cache keeps one pipeline per combination (and input ranks and dtypes).
 *
 * Nothing here imports @tensorflow/tfjs-backend-webgpu: the kernel gets the backend object.
 */
import * as tf from "@tensorflow/tfjs";
import type { AnyFusedKernelSpec } from "@flatfit/core";
import { compileExpr, constantPool, decimal, HASH_STEPS, sizeOf, type Dialect } from "./emit";
import { planCall, type CallPlan } from "./plan";

/** What this module uses of tfjs-backend-webgpu's WebGPUBackend. */
interface WebGPUBackendLike {
  runWebGPUProgram(program: WebGPUProgramSpec, inputs: tf.TensorInfo[], outputDtype: tf.DataType, programDefinedUniform?: Array<{ type: string; data: number[] }>): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** tfjs-backend-webgpu's WebGPUProgram (the fields it reads), plus the fused kernel's name. */
export interface WebGPUProgramSpec {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size?: boolean;
  uniforms?: string;
  getUserCode(): string;
  readonly flatfitKernel: string;
}

class FlatfitFusedProgram implements WebGPUProgramSpec {
  size = true;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  uniforms?: string;
  constructor(
    readonly flatfitKernel: string,
    public shaderKey: string,
    public variableNames: string[],
    public outputShape: number[],
    public workgroupSize: [number, number, number],
    private readonly code: string,
    /** One workgroup in all (a reduction), or enough to cover the output. */
    single: boolean,
  ) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [single ? 1 : Math.ceil(sizeOf(outputShape) / workgroupSize[0]), 1, 1];
  }
  getUserCode(): string {
    return this.code;
  }
}

const WEBGPU = "webgpu";
const ELEMENTWISE_WORKGROUP = 128;

const inputName = (i: number): string => `X${i}`;

/** The uniform field holding seed attr `name`'s stream key. */
const seedUniform = (seeds: readonly string[], name: string): string => `ffSeed${seeds.indexOf(name)}`;

/** core's counterUniform in WGSL (u32 arithmetic wraps around, as Math.imul's does). */
const UNIFORM_FN = `
  fn ffHash(v : u32) -> u32 {
    var x = v;
    ${HASH_STEPS.join("\n    ")}
    return x;
  }
  fn ffUniform(key : u32, index : i32) -> f32 {
    return f32(ffHash(key + u32(index)) >> 8u) * 5.9604644775390625e-8f;
  }`;

/** WGSL for f32 values; `index` names the flat index of the element. */
function f32Dialect(index: string, seeds: readonly string[] = []): Dialect & { constants: string[] } {
  // a let, not a const-expression: nothing is evaluated at shader creation (where a division
  // by 0 or an overflow would be an error)
  const { name: constant, declarations } = constantPool((name, code) => `let ${name} = ${code};`);
  return {
    constants: declarations,
    literal: (v) => constant(`${v < 0 ? "-" : ""}${decimal(Math.abs(v))}f`),
    special: (v) => constant(Number.isNaN(v) ? "uniforms.NAN" : v > 0 ? "uniforms.INFINITY" : "-uniforms.INFINITY"),
    input: (i) => `f32(${inputName(i)}[${index}])`,
    at: (i, k) => `a${i}_${k}`,
    uniform: (seed) => `ffUniform(uniforms.${seedUniform(seeds, seed)}, ${index})`,
    temp: (name, value) => `let ${name} = ${value};`,
    unary: (op, a) => (op === "neg" ? `(-${a})` : `${op}(${a})`),
    binary: (op, a, b) => {
      switch (op) {
        case "add":
          return `(${a} + ${b})`;
        case "sub":
          return `(${a} - ${b})`;
        case "mul":
          return `(${a} * ${b})`;
        case "div":
          return `(${a} / ${b})`;
        case "less":
          return `select(0.0f, 1.0f, ${a} < ${b})`;
        default:
          return `${op}(${a}, ${b})`;
      }
    },
    select: (c, a, b) => `select(${b}, ${a}, ${c} != 0.0f)`,
  };
}

function atReads(plan: Pick<CallPlan, "reads">): string[] {
  const lines: string[] = [];
  for (const [i, ks] of plan.reads.at) for (const k of ks) lines.push(`let a${i}_${k} = f32(${inputName(i)}[${k}]);`);
  return lines;
}

/** The elementwise program: output element `index` from each input's element `index`. */
export function wgslElementwise(plan: Pick<CallPlan, "form" | "reads" | "attrs" | "seeds">): string {
  const seeds = Object.keys(plan.seeds).sort();
  const d = f32Dialect("index", seeds);
  const { statements, value } = compileExpr(plan.form.expr, plan.attrs, d);
  return `${seeds.length > 0 ? UNIFORM_FN : ""}
  fn main(index : i32) {
    if (index < uniforms.size) {
      ${d.constants.join("\n      ")}
      ${atReads(plan).join("\n      ")}
      ${statements.join("\n      ")}
      setOutputAtIndex(index, ${value});
    }
  }`;
}

/** The sum: one workgroup; thread j sums elements j, j + W, …; then a tree in workgroup memory. */
export function wgslSum(plan: Pick<CallPlan, "form" | "reads" | "attrs">, workgroup: number): string {
  const d = f32Dialect("k");
  const { statements, value } = compileExpr(plan.form.expr, plan.attrs, d);
  return `
  var<workgroup> partialSums : array<f32, ${workgroup}>;
  fn main(index : i32) {
    ${d.constants.join("\n    ")}
    ${atReads(plan).join("\n    ")}
    var s = 0.0f;
    let n = uniforms.reduceSize;
    for (var k = i32(localId.x); k < n; k = k + ${workgroup}) {
      ${statements.join("\n      ")}
      s = s + ${value};
    }
    partialSums[localId.x] = s;
    workgroupBarrier();
    var width = ${workgroup}u;
    for (var halfWidth = width / 2u; width > 1u; halfWidth = width / 2u) {
      let stride = (width + 1u) / 2u;
      if (localId.x < halfWidth) {
        partialSums[localId.x] = partialSums[localId.x] + partialSums[localId.x + stride];
      }
      width = stride;
      workgroupBarrier();
    }
    if (localId.x == 0u) {
      setOutputAtIndex(0, partialSums[0]);
    }
  }`;
}

/** The webgpu kernel config of a fused kernel with an elementwise form. */
export function webgpuFusedKernel(spec: AnyFusedKernelSpec): tf.KernelConfig {
  const codes = new Map<string, string>();
  const codeFor = (key: string, make: () => string): string => {
    let c = codes.get(key);
    if (c === undefined) {
      if (codes.size >= 512) codes.clear();
      c = make();
      codes.set(key, c);
    }
    return c;
  };
  return {
    kernelName: spec.name,
    backendName: WEBGPU,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const gpu = backend as unknown as WebGPUBackendLike;
      const plan = planCall(spec, inputs, attrs);
      const names = plan.inputs.map((_, i) => inputName(i));
      const n = sizeOf(plan.domain);
      let out: tf.TensorInfo;
      if (plan.form.reduce !== "sum") {
        const code = codeFor(plan.key, () => wgslElementwise(plan));
        // flat: every input is read at the flat index, whatever its shape
        const program = new FlatfitFusedProgram(spec.name, `flatfit_${plan.key}`, names, [n], [ELEMENTWISE_WORKGROUP, 1, 1], code, false);
        // stream keys are uniforms: a new seed every call runs the same pipeline
        const seeds = Object.keys(plan.seeds).sort();
        if (seeds.length > 0) program.uniforms = seeds.map((name) => `${seedUniform(seeds, name)} : u32,`).join(" ");
        out = gpu.runWebGPUProgram(program, plan.inputs, "float32", seeds.length > 0 ? seeds.map((name) => ({ type: "uint32", data: [plan.seeds[name]] })) : undefined);
      } else {
        if (Object.keys(plan.seeds).length > 0) throw new Error(`@flatfit/backends ${spec.name}: a sum over random draws is not compiled for webgpu`);
        const workgroup = n >= 4096 ? 256 : 64;
        const code = codeFor(`${plan.key}|sum${workgroup}`, () => wgslSum(plan, workgroup));
        const program = new FlatfitFusedProgram(spec.name, `flatfit_${plan.key}_sum${workgroup}`, names, [1], [workgroup, 1, 1], code, true);
        program.uniforms = "reduceSize : i32,";
        out = gpu.runWebGPUProgram(program, plan.inputs, "float32", [{ type: "int32", data: [n] }]);
      }
      // a reshape is a view on webgpu (same buffer): the output is the program's, with its shape
      return { dataId: out.dataId, shape: plan.outShape, dtype: out.dtype };
    },
  };
}
