/**
 * A fused kernel's math as one per-element expression, in a form every backend can compile: a
 * small tree of inputs, constants and arithmetic. @flatfit/backends turns it into a GLSL (webgl)
 * or WGSL (webgpu) program; `evaluateElementwise` is its meaning, element by element, in float64.
 *
 *   const { input, attr, mul, add } = fusedExpr;
 *   elementwise: () => ({ expr: add(mul(attr("beta1"), input(0)), mul(input(1), input(1))) })
 */
import { counterKey, counterUniform } from "./random";

/** One node of an expression. */
export type Expr =
  /** Input `input`'s value at the element computed; with `at`, its value at that flat index. */
  | { readonly input: number; readonly at?: number }
  /** A number from the call's attrs (a shader constant: attrs that change every call belong in inputs). */
  | { readonly attr: string }
  /** A constant. */
  | { readonly value: number }
  /**
   * A uniform random number on [0, 1) for the element computed: `counterUniform(counterKey(seed),
   * i)` at its flat index i, with `seed` the call's attr of this name. The seed is given to the
   * program at run time, not compiled in: a new seed every call costs no new program.
   */
  | { readonly uniform: string }
  | { readonly op: UnaryOp; readonly args: readonly [Expr] }
  | { readonly op: BinaryOp; readonly args: readonly [Expr, Expr] }
  /** `args[0] !== 0 ? args[1] : args[2]`. */
  | { readonly op: "select"; readonly args: readonly [Expr, Expr, Expr] };

export const UNARY_OPS = ["neg", "abs", "sqrt"] as const;
export const BINARY_OPS = ["add", "sub", "mul", "div", "min", "max", "less"] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];
/** `less` is 1 where a < b, else 0. */
export type BinaryOp = (typeof BINARY_OPS)[number];

/** A kernel's elementwise form: the value of its one output at each element, or their sum. */
export interface Elementwise {
  readonly expr: Expr;
  /** "sum": the output is a scalar, the sum of `expr` over all elements. */
  readonly reduce?: "sum";
}

const unary =
  (op: UnaryOp) =>
  (a: Expr): Expr => ({ op, args: [a] });
const binary =
  (op: BinaryOp) =>
  (a: Expr, b: Expr): Expr => ({ op, args: [a, b] });

/** Builders for expressions. */
export const fusedExpr = {
  input: (index: number, at?: number): Expr => (at === undefined ? { input: index } : { input: index, at }),
  attr: (name: string): Expr => ({ attr: name }),
  /** U[0, 1) per element, from the stream of the seed in attr `seedAttr` (see `Expr`). */
  uniform: (seedAttr: string): Expr => ({ uniform: seedAttr }),
  value: (v: number): Expr => ({ value: v }),
  neg: unary("neg"),
  abs: unary("abs"),
  sqrt: unary("sqrt"),
  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div"),
  min: binary("min"),
  max: binary("max"),
  less: binary("less"),
  select: (cond: Expr, a: Expr, b: Expr): Expr => ({ op: "select", args: [cond, a, b] }),
  /** a·a. */
  square: (a: Expr): Expr => ({ op: "mul", args: [a, a] }),
  /** Σ terms, left to right. */
  sum: (terms: readonly Expr[]): Expr => terms.reduce((acc, t) => ({ op: "add", args: [acc, t] })),
};

/** The value of `expr` at element `i`, given the inputs' values and the call's attrs (float64). */
export function evaluateElementwise(expr: Expr, inputs: readonly ArrayLike<number>[], attrs: Readonly<Record<string, unknown>>, i: number): number {
  const ev = (e: Expr): number => {
    if ("input" in e) return inputs[e.input][e.at ?? i];
    if ("attr" in e) return Number(attrs[e.attr]);
    if ("value" in e) return e.value;
    if ("uniform" in e) return counterUniform(counterKey(Number(attrs[e.uniform])), i);
    const [a, b, c] = e.args as readonly Expr[];
    switch (e.op) {
      case "neg":
        return -ev(a);
      case "abs":
        return Math.abs(ev(a));
      case "sqrt":
        return Math.sqrt(ev(a));
      case "add":
        return ev(a) + ev(b);
      case "sub":
        return ev(a) - ev(b);
      case "mul":
        return ev(a) * ev(b);
      case "div":
        return ev(a) / ev(b);
      case "min":
        return Math.min(ev(a), ev(b));
      case "max":
        return Math.max(ev(a), ev(b));
      case "less":
        return ev(a) < ev(b) ? 1 : 0;
      case "select":
        return ev(a) !== 0 ? ev(b) : ev(c);
    }
  };
  return ev(expr);
}

/** The names a leaf kind carries over the whole tree, each once, sorted. */
function leafNames(expr: Expr, name: (e: Expr) => string | undefined): string[] {
  const names = new Set<string>();
  const walk = (e: Expr): void => {
    const n = name(e);
    if (n !== undefined) names.add(n);
    else if ("op" in e) e.args.forEach(walk);
  };
  walk(expr);
  return [...names].sort();
}

/** The attrs an expression reads as seeds of `uniform` draws (run-time values, not constants). */
export const exprSeeds = (expr: Expr): string[] => leafNames(expr, (e) => ("uniform" in e ? e.uniform : undefined));

/** The attrs an expression reads (its shader constants). */
export const exprAttrs = (expr: Expr): string[] => leafNames(expr, (e) => ("attr" in e ? e.attr : undefined));
