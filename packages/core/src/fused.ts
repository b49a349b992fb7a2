/**
 * Fused kernels: an elementwise expression computed in one pass over the data.
 *
 * tfjs's cpu backend runs one loop per op and allocates a new array for each, and its binary ops
 * share one loop whose per-element call slows down once several ops have gone through it
 * (measured on 110k floats: `tf.add` 0.5 ms in a fresh process, 1.3 ms after some training). The
 * methods' own arithmetic (perturbations, finite differences, state updates) is a handful of such
 * ops per variable per step, so on small models it costs as much as a gradient.
 *
 * A fused kernel states its expression as a loop over the inputs' values, registered as a tfjs
 * kernel for the cpu backend (it reads the backing arrays in place: no copies, no host reads), and
 * as composed tf ops, the fallback on every backend that has no kernel of that name. A kernel may
 * also state its math as an `elementwise` expression (see ./fused-expr): backend support
 * (`installBackendExtras()` from @flatfit/backends) compiles it into one shader program for webgl
 * and webgpu, and runs the cpu loop on the wasm heap. Every form must compute the same math: tests
 * compare them.
 *
 * Declared kernels are listed in a registry shared by every copy of this package in a process
 * (`onFusedKernelDefined`), so that backend support registers kernels for those declared before
 * and after it is installed.
 */
import * as tf from "@tensorflow/tfjs";
import { fusedExpr as e, type Elementwise } from "./fused-expr";

/** The values of a float32 (or int32) tensor on the cpu backend. */
export type Values = Float32Array | Int32Array | Uint8Array;

export interface FusedKernelSpec<A extends object> {
  /** A name unique among tfjs kernels, prefixed by its package, e.g. "FlatfitPertoptSigma". */
  name: string;
  /** The loop, on the cpu backend: the inputs' values in, each output's values out (float32). */
  cpu(inputs: readonly Values[], attrs: A): Float32Array[];
  /** The same math as tf ops, on backends without the cpu loop. */
  ops(inputs: readonly tf.Tensor[], attrs: A): tf.Tensor[];
  /** The outputs' shapes (default: one output, shaped like the first input). */
  outputShapes?(inputShapes: readonly number[][], attrs: A): number[][];
  /**
   * The same math as one per-element expression (one output), for backends that compile it into a
   * single program; given the number of inputs of a call. Omitted: those backends run `ops`.
   */
  elementwise?(inputCount: number): Elementwise;
}

/** Runs the kernel: one tensor per output. */
export type FusedKernel<A extends object> = (inputs: readonly tf.Tensor[], attrs: A) => tf.Tensor[];

interface CpuBackendLike {
  data: { get(dataId: object): { values?: Values } };
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): tf.TensorInfo;
}

const CPU = "cpu";
const inputName = (i: number): string => `x${i}`;

/** A declared kernel, as backend support sees it (attrs untyped). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFusedKernelSpec = FusedKernelSpec<any>;

interface FusedRegistry {
  readonly specs: Map<string, AnyFusedKernelSpec>;
  readonly listeners: Set<(spec: AnyFusedKernelSpec) => void>;
}

const REGISTRY_KEY = Symbol.for("@flatfit/core:fused-kernels/v1");

function registry(): FusedRegistry {
  const g = globalThis as unknown as Record<symbol, FusedRegistry | undefined>;
  return (g[REGISTRY_KEY] ??= { specs: new Map(), listeners: new Set() });
}

/**
 * Calls `listener` for every fused kernel declared so far and for each one declared later (by any
 * copy of @flatfit/core in this process); returns a function that stops the later calls.
 */
export function onFusedKernelDefined(listener: (spec: AnyFusedKernelSpec) => void): () => void {
  const r = registry();
  for (const spec of r.specs.values()) listener(spec);
  r.listeners.add(listener);
  return () => r.listeners.delete(listener);
}

/** Every fused kernel declared in this process, by name. */
export function fusedKernelSpecs(): ReadonlyMap<string, AnyFusedKernelSpec> {
  return registry().specs;
}

/** Positional inputs as the named map tfjs kernels take: x0, x1, … */
export function fusedKernelInputs(inputs: readonly tf.Tensor[]): tf.NamedTensorMap {
  const named: tf.NamedTensorMap = {};
  inputs.forEach((t, i) => (named[inputName(i)] = t));
  return named;
}

/** A kernel's named inputs back in call order (x0, x1, …). */
export function orderedKernelInputs<T>(inputs: Readonly<Record<string, T>>): T[] {
  return Object.keys(inputs)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((k) => inputs[k]);
}

/**
 * Declares a fused kernel. The cpu loop is registered with tfjs at once; each call then runs it
 * when the active backend is cpu, and `spec.ops` otherwise.
 */
export function defineFusedKernel<A extends object>(spec: FusedKernelSpec<A>): FusedKernel<A> {
  const shapesOf = (shapes: readonly number[][], attrs: A): number[][] => spec.outputShapes?.(shapes, attrs) ?? [shapes[0]];
  if (tf.getKernel(spec.name, CPU) === undefined) {
    tf.registerKernel({
      kernelName: spec.name,
      backendName: CPU,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const cpu = backend as unknown as CpuBackendLike;
        const infos = orderedKernelInputs(inputs as Record<string, tf.TensorInfo>);
        const values = infos.map((t) => {
          const v = cpu.data.get(t.dataId).values;
          if (v === undefined) throw new Error(`${spec.name}: input of dtype ${t.dtype} has no values on the cpu backend`);
          return v;
        });
        const a = attrs as unknown as A;
        const outs = spec.cpu(values, a);
        const shapes = shapesOf(
          infos.map((t) => t.shape),
          a,
        );
        return outs.map((v, i) => cpu.makeTensorInfo(shapes[i], "float32", v));
      },
    });
  }
  const r = registry();
  if (!r.specs.has(spec.name)) {
    r.specs.set(spec.name, spec);
    for (const listener of r.listeners) listener(spec);
  }
  return (inputs, attrs) => {
    // the ops path's intermediates are freed here, so a call outside a tidy leaves only its outputs
    if (tf.getKernel(spec.name, tf.getBackend()) === undefined) return tf.tidy(() => spec.ops(inputs, attrs));
    const out = tf.engine().runKernel(spec.name, fusedKernelInputs(inputs), attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
    return Array.isArray(out) ? out : [out];
  };
}

/** A coefficient: a number, or a scalar tensor (kept on the device). */
export type Coefficient = number | tf.Tensor;

const coefficients = (cs: readonly Coefficient[]): tf.Tensor1D =>
  cs.every((c): c is number => typeof c === "number")
    ? tf.tensor1d(cs as number[])
    : tf.tidy(() => tf.stack(cs.map((c) => (typeof c === "number" ? tf.scalar(c) : tf.reshape(c, [])))) as tf.Tensor1D);

const linearCombinationKernel = defineFusedKernel<Record<string, never>>({
  name: "FlatfitLinearCombination",
  cpu: (inputs) => {
    const c = inputs[inputs.length - 1];
    const xs = inputs.slice(0, -1);
    const n = xs[0].length;
    const out = new Float32Array(n);
    const [a, b, d] = xs;
    if (xs.length === 1) {
      const ca = c[0];
      for (let i = 0; i < n; i++) out[i] = ca * a[i];
    } else if (xs.length === 2) {
      const ca = c[0], cb = c[1];
      for (let i = 0; i < n; i++) out[i] = ca * a[i] + cb * b[i];
    } else if (xs.length === 3) {
      const ca = c[0], cb = c[1], cd = c[2];
      for (let i = 0; i < n; i++) out[i] = ca * a[i] + cb * b[i] + cd * d[i];
    } else {
      for (let k = 0; k < xs.length; k++) {
        const x = xs[k], ck = c[k];
        for (let i = 0; i < n; i++) out[i] += ck * x[i];
      }
    }
    return [out];
  },
  // the last input holds the coefficients: Σ_k x_k · c[k]
  elementwise: (n) => ({ expr: e.sum(Array.from({ length: n - 1 }, (_, k) => e.mul(e.input(k), e.input(n - 1, k)))) }),
  ops: (inputs) => {
    const c = inputs[inputs.length - 1];
    const terms = inputs.slice(0, -1).map((x, k) => tf.mul(x, tf.slice(c, [k], [1]).reshape([])));
    return [terms.length === 1 ? terms[0] : tf.addN(terms)];
  },
});

/**
 * Σ_k c_k · x_k in one pass. All x_k have one shape; each c_k is a number or a scalar tensor.
 * Sums are formed in double precision and rounded once (for c = ±1 exactly float32's a ± b).
 */
export function linearCombination(terms: ReadonlyArray<readonly [tf.Tensor, Coefficient]>): tf.Tensor {
  if (terms.length === 0) throw new Error("linearCombination: expected at least one [tensor, coefficient] term");
  const shape = terms[0][0].shape;
  for (const [x] of terms) {
    if (!tf.util.arraysEqual(x.shape, shape)) {
      throw new Error(`linearCombination: every tensor must have shape [${shape.join(",")}], got [${x.shape.join(",")}]`);
    }
  }
  for (const [, c] of terms) {
    if (typeof c !== "number" && c.size !== 1) throw new Error(`linearCombination: a coefficient must be a number or a scalar tensor, got shape [${c.shape.join(",")}]`);
  }
  const c = coefficients(terms.map(([, ck]) => ck));
  try {
    return linearCombinationKernel([...terms.map(([x]) => x), c], {})[0];
  } finally {
    c.dispose();
  }
}

const scalarShape = (): number[][] => [[]];

const sumOfSquaresKernel = defineFusedKernel<Record<string, never>>({
  name: "FlatfitSumOfSquares",
  cpu: ([x]) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    return [Float32Array.of(s)];
  },
  elementwise: () => ({ expr: e.square(e.input(0)), reduce: "sum" }),
  ops: ([x]) => [tf.sum(tf.square(x))],
  outputShapes: scalarShape,
});

const dotKernel = defineFusedKernel<Record<string, never>>({
  name: "FlatfitDot",
  cpu: ([a, b]) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return [Float32Array.of(s)];
  },
  elementwise: () => ({ expr: e.mul(e.input(0), e.input(1)), reduce: "sum" }),
  ops: ([a, b]) => [tf.sum(tf.mul(a, b))],
  outputShapes: scalarShape,
});

/** Σ x², as a scalar tensor (accumulated in double precision on the cpu backend). */
export function sumOfSquares(x: tf.Tensor): tf.Scalar {
  return sumOfSquaresKernel([x], {})[0] as tf.Scalar;
}

/** Σ a·b over two tensors of one shape, as a scalar tensor. */
export function dot(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`dot: shapes differ: [${a.shape.join(",")}] and [${b.shape.join(",")}]`);
  return dotKernel([a, b], {})[0] as tf.Scalar;
}
