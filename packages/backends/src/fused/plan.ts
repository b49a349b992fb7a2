/**
 * One call of a fused kernel on a shader backend: its elementwise form (per kernel and input
 * count), the attrs it reads as constants, the shape of the elements computed and of the output.
 */
import * as tf from "@tensorflow/tfjs";
import { orderedKernelInputs, type AnyFusedKernelSpec, type Elementwise } from "@flatfit/core";
import { attrKey, attrValues, domainOf, readsOf, seedKeys, sizeOf, type Reads } from "./emit";

export interface CallPlan {
  readonly spec: AnyFusedKernelSpec;
  readonly inputs: tf.TensorInfo[];
  readonly form: Elementwise;
  readonly reads: Reads;
  readonly attrs: Readonly<Record<string, number>>;
  /** The keys of the random streams the form draws, by seed attr (run-time values, in name order). */
  readonly seeds: Readonly<Record<string, number>>;
  /** kernel name, input count and attr values: what a program's code depends on besides shapes. */
  readonly key: string;
  /** The shape of the elements computed (that of the first input read per element). */
  readonly domain: number[];
  /** The output's shape. */
  readonly outShape: number[];
}

const forms = new Map<string, { form: Elementwise; reads: Reads }>();

/** A program's code cache: bounded, dropped whole when full (attrs that change every epoch add entries). */
export class CodeCache<T> {
  private readonly map = new Map<string, T>();
  constructor(private readonly limit = 512) {}
  get(key: string, make: () => T): T {
    let v = this.map.get(key);
    if (v === undefined) {
      if (this.map.size >= this.limit) this.map.clear();
      v = make();
      this.map.set(key, v);
    }
    return v;
  }
}

export function planCall(spec: AnyFusedKernelSpec, namedInputs: tf.NamedTensorInfoMap, rawAttrs: tf.NamedAttrMap | undefined): CallPlan {
  const inputs = orderedKernelInputs(namedInputs as Record<string, tf.TensorInfo>);
  const n = inputs.length;
  const formKey = `${spec.name}|${n}`;
  let f = forms.get(formKey);
  if (f === undefined) {
    if (!spec.elementwise) throw new Error(`@flatfit/backends ${spec.name}: no elementwise form`);
    const form = spec.elementwise(n);
    f = { form, reads: readsOf(form.expr) };
    forms.set(formKey, f);
  }
  const attrs = attrValues(spec.name, f.form.expr, (rawAttrs ?? {}) as Record<string, unknown>);
  const seeds = seedKeys(spec.name, f.form.expr, (rawAttrs ?? {}) as Record<string, unknown>);
  const shapes = inputs.map((t) => t.shape);
  const domain = domainOf(spec.name, f.reads, shapes);
  const outShape = spec.outputShapes?.(shapes, rawAttrs ?? {})?.[0] ?? (f.form.reduce === "sum" ? [] : domain);
  const expected = f.form.reduce === "sum" ? 1 : sizeOf(domain);
  if (sizeOf(outShape) !== expected) {
    throw new Error(`@flatfit/backends ${spec.name}: output shape [${outShape.join(",")}] does not hold ${f.form.reduce === "sum" ? "a sum (one value)" : `one value per element of [${domain.join(",")}]`}`);
  }
  return { spec, inputs, form: f.form, reads: f.reads, attrs, seeds, key: `${spec.name}|${n}|${attrKey(attrs)}`, domain, outShape: [...outShape] };
}
