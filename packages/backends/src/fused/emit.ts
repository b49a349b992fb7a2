/**
 * Shared by the GLSL (webgl) and WGSL (webgpu) compilers of fused kernels' elementwise forms: what
 * an expression reads, its constants, and its statements in one shading language (`Dialect`).
 * Sub-expressions that occur more than once (the same object, as builders such as `square` make)
 * are computed once, into a temporary.
 */
import { counterKey, exprAttrs, exprSeeds, type Expr } from "@flatfit/core";

/** What an expression reads from its inputs. */
export interface Reads {
  /** Inputs read at the element computed. */
  readonly elementwise: ReadonlySet<number>;
  /** Inputs read at fixed flat indices, with those indices. */
  readonly at: ReadonlyMap<number, ReadonlySet<number>>;
}

export function readsOf(expr: Expr): Reads {
  const elementwise = new Set<number>();
  const at = new Map<number, Set<number>>();
  const walk = (e: Expr): void => {
    if ("input" in e) {
      if (e.at === undefined) elementwise.add(e.input);
      else {
        if (!at.has(e.input)) at.set(e.input, new Set());
        at.get(e.input)!.add(e.at);
      }
    } else if ("op" in e) e.args.forEach(walk);
  };
  walk(expr);
  return { elementwise, at };
}

/** How one shading language writes the pieces of an expression. */
export interface Dialect {
  /** A finite float32 constant. */
  literal(v: number): string;
  /** ±Infinity or NaN. */
  special(v: number): string;
  /** The value of input i at the element. */
  input(i: number): string;
  /** The value of input i at flat index k. */
  at(i: number, k: number): string;
  /** The element's uniform draw from the stream whose seed is attr `seed` (given at run time). */
  uniform(seed: string): string;
  /** A temporary: its declaration statement. */
  temp(name: string, value: string): string;
  unary(op: "neg" | "abs" | "sqrt", a: string): string;
  binary(op: "add" | "sub" | "mul" | "div" | "min" | "max" | "less", a: string, b: string): string;
  select(cond: string, a: string, b: string): string;
}

/** A decimal literal that parses back to float32 `v` exactly (9 significant digits), with a point. */
/**
 * A shader's constants, each declared once: `name(code)` gives the variable holding `code`
 * (k0, k1, …), declared by `declare(name, code)` the first time; `declarations` in order.
 */
export function constantPool(declare: (name: string, code: string) => string): { name: (code: string) => string; declarations: string[] } {
  const declarations: string[] = [];
  const named = new Map<string, string>();
  return {
    declarations,
    name: (code) => {
      let name = named.get(code);
      if (name === undefined) {
        name = `k${named.size}`;
        named.set(code, name);
        declarations.push(declare(name, code));
      }
      return name;
    },
  };
}

export function decimal(v: number): string {
  const f = Math.fround(v);
  let s = Math.abs(f).toPrecision(9);
  if (!s.includes(".")) s = s.includes("e") ? s.replace("e", ".0e") : `${s}.0`;
  return f < 0 ? `-${s}` : s;
}

/** The attrs' values as numbers (the shader constants), by name; throws when one is missing. */
export function attrValues(kernel: string, expr: Expr, attrs: Readonly<Record<string, unknown>>): Record<string, number> {
  const values: Record<string, number> = {};
  for (const name of exprAttrs(expr)) {
    const v = attrs[name];
    if (typeof v !== "number" && typeof v !== "boolean") throw new Error(`@flatfit/backends ${kernel}: the elementwise form reads attr "${name}", which the call gives as ${JSON.stringify(v)} (expected a number)`);
    values[name] = Number(v);
  }
  return values;
}

/**
 * The keys of the streams an expression draws (`uniform` nodes), by seed attr: 32-bit unsigned
 * integers that programs take as run-time values (uniforms), so new seeds reuse one program.
 */
export function seedKeys(kernel: string, expr: Expr, attrs: Readonly<Record<string, unknown>>): Record<string, number> {
  const keys: Record<string, number> = {};
  for (const name of exprSeeds(expr)) {
    const v = attrs[name];
    if (typeof v !== "number" || !Number.isInteger(v)) throw new Error(`@flatfit/backends ${kernel}: the elementwise form draws from the seed in attr "${name}", which the call gives as ${JSON.stringify(v)} (expected an integer)`);
    keys[name] = counterKey(v);
  }
  return keys;
}

/** The GLSL ES 3 / WGSL statements of counterUniform's hash (core's random.ts), as one function body on `x`. */
export const HASH_STEPS = ["x = (x ^ (x >> 16u)) * 0x7feb352du;", "x = (x ^ (x >> 15u)) * 0x846ca68bu;", "x = x ^ (x >> 16u);"];

/** A cache key part for attr values: each as its float32 bits (NaN, ±0 and ±Infinity included). */
export function attrKey(values: Readonly<Record<string, number>>): string {
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  return Object.keys(values)
    .sort()
    .map((k) => {
      f[0] = values[k];
      return `${k}=${bits[0].toString(16)}`;
    })
    .join(",");
}

/** The statements (temporaries) and the final value of `expr` in a dialect. */
export function compileExpr(expr: Expr, attrs: Readonly<Record<string, number>>, d: Dialect, tempPrefix = "t"): { statements: string[]; value: string } {
  const uses = new Map<Expr, number>();
  const count = (e: Expr): void => {
    const n = (uses.get(e) ?? 0) + 1;
    uses.set(e, n);
    if (n === 1 && "op" in e) e.args.forEach(count);
  };
  count(expr);
  const statements: string[] = [];
  const done = new Map<Expr, string>();
  const constant = (v: number): string => (Number.isFinite(Math.fround(v)) ? d.literal(Math.fround(v)) : d.special(v));
  const emit = (e: Expr): string => {
    const known = done.get(e);
    if (known !== undefined) return known;
    let s: string;
    if ("input" in e) s = e.at === undefined ? d.input(e.input) : d.at(e.input, e.at);
    else if ("attr" in e) s = constant(attrs[e.attr]);
    else if ("value" in e) s = constant(e.value);
    else if ("uniform" in e) s = d.uniform(e.uniform);
    else {
      const args = e.args.map(emit);
      switch (e.op) {
        case "neg":
        case "abs":
        case "sqrt":
          s = d.unary(e.op, args[0]);
          break;
        case "select":
          s = d.select(args[0], args[1], args[2]);
          break;
        default:
          s = d.binary(e.op, args[0], args[1]);
      }
      if ((uses.get(e) ?? 0) > 1) {
        const name = `${tempPrefix}${statements.length}`;
        statements.push(d.temp(name, s));
        s = name;
      }
    }
    done.set(e, s);
    return s;
  };
  const value = emit(expr);
  return { statements, value };
}

/** The element count of a shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((p, q) => p * q, 1);

/** Checks one call's inputs against an elementwise form; returns the shape of the elements computed. */
export function domainOf(kernel: string, reads: Reads, shapes: readonly (readonly number[])[]): number[] {
  const first = [...reads.elementwise].sort((a, b) => a - b)[0] ?? 0;
  if (first >= shapes.length) throw new Error(`@flatfit/backends ${kernel}: the elementwise form reads input ${first}, the call has ${shapes.length} inputs`);
  const domain = [...shapes[first]];
  const n = sizeOf(domain);
  for (const i of reads.elementwise) {
    if (i >= shapes.length) throw new Error(`@flatfit/backends ${kernel}: the elementwise form reads input ${i}, the call has ${shapes.length} inputs`);
    if (sizeOf(shapes[i]) !== n) throw new Error(`@flatfit/backends ${kernel}: input ${i} has shape [${shapes[i].join(",")}], input ${first} [${domain.join(",")}]: inputs read per element must have one size`);
  }
  for (const [i, ks] of reads.at) {
    if (i >= shapes.length) throw new Error(`@flatfit/backends ${kernel}: the elementwise form reads input ${i}, the call has ${shapes.length} inputs`);
    for (const k of ks) {
      if (!Number.isInteger(k) || k < 0 || k >= sizeOf(shapes[i])) throw new Error(`@flatfit/backends ${kernel}: the elementwise form reads input ${i} at index ${k}; it has shape [${shapes[i].join(",")}]`);
    }
  }
  return domain;
}

/** Logical coordinates of flat index k in `shape` (row-major). */
export function unravel(k: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = k % shape[d];
    k = Math.floor(k / shape[d]);
  }
  return coords;
}
