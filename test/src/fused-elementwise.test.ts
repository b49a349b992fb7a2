/**
 * Fused kernels' elementwise forms (what @flatfit/backends compiles into one webgl or webgpu shader
 * program): for every kernel declared in the process with one — core's, HERO's and PertOPT's — the
 * form's float64 meaning (`evaluateElementwise`) gives the values of the kernel's cpu loop, on
 * random inputs, for several input counts where a kernel takes any number; and the GLSL and WGSL
 * that @flatfit/backends emits for it read every input it should, name every constant and declare
 * what it uses. The shaders themselves run in Chromium (browser/gpu.test.ts).
 */
import test from "ava";
import "@flatfit/plugin-hero";
import "@flatfit/plugin-pertopt";
import { glslElementwise, glslRowSums, wgslElementwise, wgslSum } from "@flatfit/backends";
import { evaluateElementwise, exprAttrs, exprSeeds, fusedKernelSpecs, type AnyFusedKernelSpec, type Elementwise, type Expr } from "@flatfit/core";
import { gaussian, prng } from "@flatfit/testing";
import { SHADER_KERNELS } from "./shader-kernels";

const withForm = (): AnyFusedKernelSpec[] => [...fusedKernelSpecs().values()].filter((s) => s.elementwise !== undefined);

/** What an expression reads: inputs per element, and the largest fixed index of each other input. */
function readsOf(expr: Expr): { elementwise: Set<number>; at: Map<number, number> } {
  const elementwise = new Set<number>();
  const at = new Map<number, number>();
  const walk = (e: Expr): void => {
    if ("input" in e) {
      if (e.at === undefined) elementwise.add(e.input);
      else at.set(e.input, Math.max(at.get(e.input) ?? 0, e.at));
    } else if ("op" in e) e.args.forEach(walk);
  };
  walk(expr);
  return { elementwise, at };
}

/** The input counts to try: a kernel that reads inputs 0…n−1 of n for any n is tried with 2, 3 and 5. */
function inputCounts(spec: AnyFusedKernelSpec): number[] {
  const counts = new Set<number>();
  for (const n of [2, 3, 5, 8]) {
    const r = readsOf(spec.elementwise!(n).expr);
    counts.add(Math.max(...r.elementwise, ...r.at.keys()) + 1);
  }
  return [...counts].filter((n) => n <= 8);
}

/** Random inputs for a form with `count` inputs: elements per element-read input, and enough for each fixed index. */
function inputsFor(form: Elementwise, count: number, size: number, seed: number, positive: boolean): Float32Array[] {
  const g = gaussian(prng(seed));
  const r = readsOf(form.expr);
  return Array.from({ length: count }, (_, i) => {
    const length = r.elementwise.has(i) ? size : (r.at.get(i) ?? 0) + 1;
    return Float32Array.from({ length }, () => (positive ? Math.abs(g()) : g()));
  });
}

test("every fused kernel that core, HERO and PertOPT declare has an elementwise form in the registry", (t) => {
  const names = withForm().map((s) => s.name);
  for (const name of SHADER_KERNELS) t.true(names.includes(name), `${name} has an elementwise form`);
  const without = [...fusedKernelSpecs().values()].filter((s) => /^Flatfit(Linear|Sum|Dot|Hero|Pertopt)/.test(s.name) && !s.elementwise).map((s) => s.name);
  t.deepEqual(without, [], "kernels that keep their tf ops on GPU backends");
});

test("each elementwise form gives its cpu loop's values (float64 meaning vs the loop's float32 output, within float32 rounding of the largest value), on random inputs and several input counts", (t) => {
  let checked = 0;
  for (const spec of withForm()) {
    for (const count of inputCounts(spec)) {
      const form = spec.elementwise!(count);
      for (const [k, positive] of [[1, false], [2, true], [3, false]] as const) {
        // attrs: positive values from 0.25 up (beta2, a threshold on a gaussian, takes both branches)
        const g = gaussian(prng(100 + k));
        const attrs: Record<string, number> = {};
        for (const name of exprAttrs(form.expr)) attrs[name] = Math.fround(0.25 + Math.abs(g()));
        for (const name of exprSeeds(form.expr)) attrs[name] = 1000 * k + 7; // the seeds of device draws
        const size = 301;
        const inputs = inputsFor(form, count, size, 10 * k + count, positive);
        const loop = spec.cpu(inputs, attrs)[0];
        const meaning = Array.from({ length: size }, (_, i) => evaluateElementwise(form.expr, inputs, attrs, i));
        const want = form.reduce === "sum" ? [meaning.reduce((s, v) => s + v, 0)] : meaning;
        t.is(loop.length, want.length, `${spec.name} (${count} inputs): output length`);
        const scale = Math.max(1e-30, ...want.map((v) => (Number.isFinite(v) ? Math.abs(v) : 0)));
        for (let i = 0; i < want.length; i++) {
          const same = Number.isNaN(want[i]) ? Number.isNaN(loop[i]) : Math.abs(loop[i] - want[i]) <= 1e-6 * (Math.abs(want[i]) + scale) + 1e-12;
          if (!same) {
            t.fail(`${spec.name} (${count} inputs, round ${k}): element ${i}: loop ${loop[i]}, elementwise ${want[i]}`);
            return;
          }
        }
        checked++;
      }
    }
  }
  t.true(checked >= SHADER_KERNELS.length * 3, `${checked} kernel × input count × round cases`);
});

test("the GLSL and WGSL emitted for each form read each input it reads, declare every temporary and constant, and carry no JavaScript number text", (t) => {
  for (const spec of withForm()) {
    for (const count of inputCounts(spec)) {
      const form = spec.elementwise!(count);
      const attrs: Record<string, number> = {};
      for (const name of exprAttrs(form.expr)) attrs[name] = 0.5;
      if (attrs.beta2 !== undefined) attrs.beta2 = Infinity; // a non-finite constant: uniforms there
      const r = readsOf(form.expr);
      const plan = {
        form,
        reads: { elementwise: r.elementwise, at: new Map([...r.at].map(([i, k]) => [i, new Set(Array.from({ length: k + 1 }, (_, j) => j))])) },
        attrs,
        seeds: Object.fromEntries(exprSeeds(form.expr).map((name) => [name, 0x9e3779b9])),
      };
      const shapes = Array.from({ length: count }, (_, i) => (r.elementwise.has(i) ? [7, 5] : [(r.at.get(i) ?? 0) + 1]));
      const sources = {
        glsl: form.reduce === "sum" ? glslRowSums(plan, shapes, [7, 5]).code : glslElementwise(plan, shapes, [7, 5]),
        wgsl: form.reduce === "sum" ? wgslSum(plan, 64) : wgslElementwise(plan),
      };
      for (const [lang, src] of Object.entries(sources)) {
        const where = `${spec.name} (${count} inputs), ${lang}`;
        t.notRegex(src, /NaN|Infinity|undefined|\[object/, `${where}: JavaScript text in the shader`);
        t.is((src.match(/\(/g) ?? []).length, (src.match(/\)/g) ?? []).length, `${where}: parentheses balance`);
        for (const i of r.elementwise) t.regex(src, new RegExp(lang === "glsl" ? `getX${i}` : `X${i}\\[`), `${where}: reads input ${i}`);
        for (const m of src.matchAll(/\b([tk]\d+)\b/g)) t.regex(src, new RegExp(`(vec4|let) ${m[1]} = `), `${where}: ${m[1]} is declared`);
        if (exprSeeds(form.expr).length > 0) t.regex(src, lang === "glsl" ? /ffUniform\(ffSeed0, ffIndex\)/ : /ffUniform\(uniforms\.ffSeed0, index\)/, `${where}: draws from the run-time seed`);
        if (attrs.beta2 === Infinity) t.regex(src, lang === "glsl" ? /uintBitsToFloat\(0x7f800000u\)/ : /uniforms\.INFINITY/, `${where}: β₂ = ∞ as a uniform or bit pattern`);
      }
      t.is(sources.glsl.includes("getOutputCoords"), true);
    }
  }
});
