/** The methods the page offers: flatfit plugins by class (a browser passes classes, not names). */
import type { PluginSpec } from "@flatfit/core";
import GradL1Plugin from "@flatfit/plugin-grad-l1";
import HeroPlugin from "@flatfit/plugin-hero";
import NsoPlugin from "@flatfit/plugin-nso";
import PertoptPlugin from "@flatfit/plugin-pertopt";
import QuantizeOnEval from "@flatfit/plugin-quantize-on-eval";
import SehtPlugin from "@flatfit/plugin-seht";

export const BITS = [8, 6, 4];

/** Gradient plugins per method; quantize-on-eval is added to every one. */
export const METHODS: Record<string, { label: string; plugins: PluginSpec[] }> = {
  hero: { label: "HERO (h 0.5, γ 0.1)", plugins: [{ use: HeroPlugin, h: 0.5, gamma: 0.1 }] },
  plain: { label: "plain SGD (no plugin)", plugins: [] },
  nso: { label: "NSO (σ 0.01)", plugins: [{ use: NsoPlugin, sigma: 0.01 }] },
  seht: { label: "SEHT (λ 0.01)", plugins: [{ use: SehtPlugin, lambda: 0.01 }] },
  "grad-l1": { label: "Gradient-ℓ1 (λ 0.01)", plugins: [{ use: GradL1Plugin, lambda: 0.01 }] },
  pertopt: { label: "PertOPT (η 1000)", plugins: [{ use: PertoptPlugin, eta: 1000 }] },
};

export function pluginsFor(method: string): PluginSpec[] {
  const m = METHODS[method];
  if (!m) throw new Error(`method "${method}": expected one of ${Object.keys(METHODS).join(", ")}`);
  return [...m.plugins, { use: QuantizeOnEval, bits: BITS }];
}
