/**
 * Fused kernels on tfjs's webgl backend: a kernel's elementwise form compiled into one GLSL
 * fragment program (tfjs's GPGPUProgram, run by `backend.runWebGLProgram`), in tfjs's packed
 * layout (four values a texel), which is how tfjs's own ops leave their results by default: no
 * pack or unpack programs around ours. `reduce: "sum"` is one program that evaluates the
 * expression and sums it a row of texels per output value, then (for tensors of more than two rows)
 * one that sums those partial sums; tf's own sum would take two to three programs after the
 * expression's. Attrs are constants in the code; tfjs caches compiled programs by their code and
 * the inputs' shapes.
 */
import * as tf from "@tensorflow/tfjs";
import type { AnyFusedKernelSpec } from "@flatfit/core";
import { compileExpr, constantPool, decimal, HASH_STEPS, sizeOf, type Dialect } from "./emit";
import { CodeCache, planCall, type CallPlan } from "./plan";

/** What this module uses of tfjs-backend-webgl's MathBackendWebGL. */
interface WebGLBackendLike {
  runWebGLProgram(program: WebGLProgramSpec, inputs: tf.TensorInfo[], outputDtype: tf.DataType, customUniformValues?: number[][], preventEagerUnpackingOfOutput?: boolean): tf.TensorInfo;
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
}

/** tfjs-backend-webgl's GPGPUProgram, plus the fused kernel's name (for counting). */
export interface WebGLProgramSpec {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs?: boolean;
  packedOutput?: boolean;
  enableShapeUniforms?: boolean;
  customUniforms?: Array<{ name: string; type: "ivec2" }>;
  /** The fused kernel this program computes. */
  readonly flatfitKernel: string;
}

class FlatfitFusedProgram implements WebGLProgramSpec {
  enableShapeUniforms = false;
  customUniforms?: Array<{ name: string; type: "ivec2" }>;
  constructor(
    readonly flatfitKernel: string,
    public variableNames: string[],
    public outputShape: number[],
    public userCode: string,
    public packedInputs: boolean,
    public packedOutput: boolean,
  ) {}
}

const WEBGL = "webgl";
const CHANNELS = ["x", "y", "z", "w"];
/** Partial sums at most summed by our own one-thread program; more go to tf's Sum. */
const SECOND_PASS_MAX = 4096;

/** Input i's sampler name in GLSL (tfjs makes get<Name>, get<Name>AtOutCoords). */
const inputName = (i: number): string => `X${i}`;

/** The uniform holding seed attr `name`'s stream key (two 16-bit halves: GLSL has no uint uniforms in tfjs). */
const seedUniform = (seeds: readonly string[], name: string): string => `ffSeed${seeds.indexOf(name)}`;

/** GLSL for vec4 values (a texel: four elements). */
function vec4Dialect(webglVersion: number, seeds: readonly string[] = []): Dialect & { constants: string[] } {
  // a variable, not a constant expression: nothing is folded at compile time (a division by 0 stays a value)
  const { name: constant, declarations } = constantPool((name, code) => `vec4 ${name} = vec4(${code});`);
  return {
    constants: declarations,
    literal: (v) => constant(v < 0 ? `(${decimal(v)})` : decimal(v)),
    special: (v) => {
      if (Number.isNaN(v)) return constant("NAN");
      const inf = webglVersion === 2 ? "uintBitsToFloat(0x7f800000u)" : "INFINITY";
      return constant(v > 0 ? inf : `-${inf}`);
    },
    input: (i) => `x${i}`,
    at: (i, k) => `vec4(a${i}_${k})`,
    uniform: (seed) => {
      if (webglVersion < 2) throw new Error("@flatfit/backends: a fused kernel that draws random numbers on the device needs WebGL 2 (unsigned integer arithmetic); this context is WebGL 1");
      return `ffUniform(${seedUniform(seeds, seed)}, ffIndex)`;
    },
    temp: (name, value) => `vec4 ${name} = ${value};`,
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
          return `vec4(lessThan(${a}, ${b}))`;
        default:
          return `${op}(${a}, ${b})`;
      }
    },
    select: (c, a, b) => `ffSelect(${c}, ${a}, ${b})`,
  };
}

const SELECT_FN = `
  vec4 ffSelect(vec4 c, vec4 a, vec4 b) {
    return vec4(c.x != 0.0 ? a.x : b.x, c.y != 0.0 ? a.y : b.y, c.z != 0.0 ? a.z : b.z, c.w != 0.0 ? a.w : b.w);
  }`;

/** core's counterUniform for the four elements of a texel, from a key given as two 16-bit halves. */
const UNIFORM_FN = `
  uint ffHash(uint x) {
    ${HASH_STEPS.join("\n    ")}
    return x;
  }
  vec4 ffUniform(ivec2 seed, uvec4 index) {
    uint key = (uint(seed.x) << 16u) | uint(seed.y);
    return vec4(float(ffHash(key + index.x) >> 8u), float(ffHash(key + index.y) >> 8u), float(ffHash(key + index.z) >> 8u), float(ffHash(key + index.w) >> 8u)) * 5.9604644775390625e-8;
  }`;

/** `uvec4 ffIndex`: the flat indices of the four elements of the output texel (in the domain's layout). */
function texelIndices(domain: readonly number[]): string {
  const rank = domain.length;
  if (rank === 0) return "uvec4 ffIndex = uvec4(0u, 1u, 2u, 3u);";
  if (rank === 1) return "int ffFlat = getOutputCoords(); uvec4 ffIndex = uvec4(uint(ffFlat), uint(ffFlat + 1), 0u, 0u);";
  const ch = ["x", "y", "z", "w", "u", "v"];
  let flat = "ffCoords.x";
  for (let d = 1; d < rank; d++) flat = `(${flat}) * ${domain[d]} + ffCoords.${ch[d]}`;
  const cols = domain[rank - 1];
  return `ivec${rank} ffCoords = getOutputCoords(); uint ffFlat = uint(${flat}); uvec4 ffIndex = uvec4(ffFlat, ffFlat + 1u, ffFlat + ${cols}u, ffFlat + ${cols + 1}u);`;
}

/** Reads of inputs at fixed indices (scalars and vectors: rank ≤ 1, packed two values a texel along the vector). */
function atReads(plan: CallPlan, shapes: readonly (readonly number[])[]): string[] {
  const lines: string[] = [];
  for (const [i, ks] of plan.reads.at) {
    for (const k of ks) {
      const rank = shapes[i].length;
      lines.push(rank === 0 ? `float a${i}_${k} = get${inputName(i)}().x;` : `float a${i}_${k} = get${inputName(i)}(${k}).${CHANNELS[k % 2]};`);
    }
  }
  return lines;
}

/** The elementwise program: one texel of the output from the same texel of each input. */
export function glslElementwise(plan: Pick<CallPlan, "form" | "reads" | "attrs" | "seeds">, shapes: readonly (readonly number[])[], domain: readonly number[], webglVersion = 2): string {
  const seeds = Object.keys(plan.seeds).sort();
  const d = vec4Dialect(webglVersion, seeds);
  const { statements, value } = compileExpr(plan.form.expr, plan.attrs, d);
  const rank = domain.length;
  const reads = [...plan.reads.elementwise].sort((a, b) => a - b).map((i) => `vec4 x${i} = get${inputName(i)}AtOutCoords();`);
  // lanes past the end of a row or column are set to 0, as tfjs's packed ops leave them
  let bounds: string;
  if (rank === 0 || sizeOf(domain) === 1) bounds = "result.y = 0.0; result.z = 0.0; result.w = 0.0;";
  else if (rank === 1) bounds = `int coords = getOutputCoords(); result.y = coords + 1 >= ${domain[0]} ? 0.0 : result.y; result.z = 0.0; result.w = 0.0;`;
  else {
    const ch = ["x", "y", "z", "w", "u", "v"];
    const type = rank <= 4 ? `ivec${rank}` : `ivec${rank}`;
    bounds = `${type} coords = getOutputCoords();
    bool nextRowOut = coords.${ch[rank - 2]} + 1 >= ${domain[rank - 2]};
    bool nextColOut = coords.${ch[rank - 1]} + 1 >= ${domain[rank - 1]};
    result.y = nextColOut ? 0.0 : result.y;
    result.z = nextRowOut ? 0.0 : result.z;
    result.w = nextColOut || nextRowOut ? 0.0 : result.w;`;
  }
  return `${SELECT_FN}${seeds.length > 0 ? UNIFORM_FN : ""}
  void main() {
    ${d.constants.join("\n    ")}
    ${seeds.length > 0 ? texelIndices(domain) : ""}
    ${atReads(plan as CallPlan, shapes).join("\n    ")}
    ${reads.join("\n    ")}
    ${statements.join("\n    ")}
    vec4 result = ${value};
    ${bounds}
    setOutput(result);
  }`;
}

/**
 * The first pass of a sum: output value t is the sum of the expression over one pair of rows of
 * the (packed) inputs, a texel (2×2 values) at a time, lanes past the ends left out.
 */
export function glslRowSums(plan: Pick<CallPlan, "form" | "reads" | "attrs">, shapes: readonly (readonly number[])[], domain: readonly number[], webglVersion = 2): { code: string; outputs: number; packed: boolean } {
  const d = vec4Dialect(webglVersion);
  const { statements, value } = compileExpr(plan.form.expr, plan.attrs, d);
  const rank = domain.length;
  const rows = rank >= 2 ? domain[rank - 2] : 1;
  const cols = rank >= 1 ? domain[rank - 1] : 1;
  const batchShape = domain.slice(0, Math.max(0, rank - 2));
  const batches = sizeOf(batchShape);
  const rowPairs = Math.ceil(rows / 2);
  const colPairs = Math.ceil(cols / 2);
  const outputs = Math.max(1, batches * rowPairs);
  // one partial sum is the total: written packed, as the packed programs that read a sum take it
  const packed = outputs === 1;
  const empty = sizeOf(domain) === 0;
  // the batch coordinates of output t, row-major over the leading dimensions
  const batchLines: string[] = [];
  if (batchShape.length > 0) {
    batchLines.push(`int rest = t / ${rowPairs};`);
    for (let j = batchShape.length - 1; j >= 0; j--) {
      batchLines.push(`int b${j} = rest - (rest / ${batchShape[j]}) * ${batchShape[j]};`, `rest = rest / ${batchShape[j]};`);
    }
  }
  const coords = (r: number): string => {
    if (r === 0) return "";
    if (r === 1) return "col";
    return [...batchShape.map((_, j) => `b${j}`), "row", "col"].join(", ");
  };
  const reads = [...plan.reads.elementwise].sort((a, b) => a - b).map((i) => `vec4 x${i} = get${inputName(i)}(${coords(rank)});`);
  const code = `${SELECT_FN}
  void main() {
    int t = getOutputCoords();
    int row = (t - (t / ${rowPairs}) * ${rowPairs}) * 2;
    ${batchLines.join("\n    ")}
    ${d.constants.join("\n    ")}
    ${atReads(plan as CallPlan, shapes).join("\n    ")}
    float s = 0.0;
    for (int c2 = 0; c2 < ${empty ? 0 : colPairs}; c2++) {
      int col = c2 * 2;
      ${reads.join("\n      ")}
      ${statements.join("\n      ")}
      vec4 v = ${value};
      s += v.x;
      if (col + 1 < ${cols}) s += v.y;
      if (row + 1 < ${rows}) {
        s += v.z;
        if (col + 1 < ${cols}) s += v.w;
      }
    }
    setOutput(${packed ? "vec4(s, 0.0, 0.0, 0.0)" : "s"});
  }`;
  return { code, outputs, packed };
}

/** The second pass of a sum: one value (written packed), the sum of `count` partial sums (read unpacked). */
export function glslTotal(count: number): string {
  return `
  void main() {
    float s = 0.0;
    for (int i = 0; i < ${count}; i++) s += getP(i);
    setOutput(vec4(s, 0.0, 0.0, 0.0));
  }`;
}

const elementwiseCode = new CodeCache<string>();
const rowSumCode = new CodeCache<{ code: string; outputs: number; packed: boolean }>();

function reshapeInfo(backend: WebGLBackendLike, info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  const reshape = tf.getKernel("Reshape", WEBGL);
  if (!reshape) throw new Error("@flatfit/backends: the webgl backend has no Reshape kernel");
  return reshape.kernelFunc({ inputs: { x: info }, backend: backend as unknown as tf.KernelBackend, attrs: { shape } }) as tf.TensorInfo;
}

/** The webgl kernel config of a fused kernel with an elementwise form. */
export function webglFusedKernel(spec: AnyFusedKernelSpec): tf.KernelConfig {
  return {
    kernelName: spec.name,
    backendName: WEBGL,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const gl = backend as unknown as WebGLBackendLike;
      const plan = planCall(spec, inputs, attrs);
      const version = tf.env().getNumber("WEBGL_VERSION");
      const temps: tf.TensorInfo[] = [];
      try {
        // inputs read per element take the domain's shape (a view where tfjs can); at-reads of
        // rank 2 and more are read as vectors
        const infos = plan.inputs.map((t, i) => {
          let shape: number[] | undefined;
          if (plan.reads.elementwise.has(i) && !tf.util.arraysEqual(t.shape, plan.domain)) shape = plan.domain;
          else if (plan.reads.at.has(i) && !plan.reads.elementwise.has(i) && t.shape.length >= 2) shape = [sizeOf(t.shape)];
          if (shape === undefined) return t;
          const r = reshapeInfo(gl, t, shape);
          temps.push(r);
          return r;
        });
        const shapes = infos.map((t) => t.shape);
        const names = infos.map((_, i) => inputName(i));
        const shapeKey = `${plan.key}|${shapes.map((s) => s.join("x")).join(";")}|${version}`;
        if (plan.form.reduce !== "sum") {
          const code = elementwiseCode.get(shapeKey, () => glslElementwise(plan, shapes, plan.domain, version));
          const program = new FlatfitFusedProgram(spec.name, names, [...plan.domain], code, true, true);
          const seeds = Object.keys(plan.seeds).sort();
          if (seeds.length > 0) program.customUniforms = seeds.map((name) => ({ name: seedUniform(seeds, name), type: "ivec2" as const }));
          // a stream key as two 16-bit halves (ivec2 uniforms hold signed 32-bit integers)
          const seedValues = seeds.map((name) => [plan.seeds[name] >>> 16, plan.seeds[name] & 0xffff]);
          const out = gl.runWebGLProgram(program, infos, "float32", seeds.length > 0 ? seedValues : undefined);
          if (tf.util.arraysEqual(out.shape, plan.outShape)) return out;
          temps.push(out);
          return reshapeInfo(gl, out, plan.outShape);
        }
        if (Object.keys(plan.seeds).length > 0) throw new Error(`@flatfit/backends ${spec.name}: a sum over random draws is not compiled for webgl`);
        const { code, outputs, packed } = rowSumCode.get(shapeKey, () => glslRowSums(plan, shapes, plan.domain, version));
        const partial = gl.runWebGLProgram(new FlatfitFusedProgram(spec.name, names, [outputs], code, true, packed), infos, "float32");
        let total: tf.TensorInfo;
        if (outputs === 1) total = partial;
        else {
          temps.push(partial);
          if (outputs <= SECOND_PASS_MAX) total = gl.runWebGLProgram(new FlatfitFusedProgram(spec.name, ["P"], [1], glslTotal(outputs), false, true), [partial], "float32");
          else {
            const sum = tf.getKernel("Sum", WEBGL);
            if (!sum) throw new Error("@flatfit/backends: the webgl backend has no Sum kernel");
            total = sum.kernelFunc({ inputs: { x: partial }, backend, attrs: { axis: [0], keepDims: false } }) as tf.TensorInfo;
          }
        }
        if (tf.util.arraysEqual(total.shape, plan.outShape)) return total;
        temps.push(total);
        return reshapeInfo(gl, total, plan.outShape);
      } finally {
        for (const t of temps) gl.disposeIntermediateTensorInfo(t);
      }
    },
  };
}
