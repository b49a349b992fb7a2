/**
 * Every built-in gradient method with the options the backend contract tests run it with, and
 * none: the one list that the GPU backends' (Chromium) and wasm contract tests walk, so a method
 * added here is checked on every backend.
 */
export interface MethodCase {
  name: string;
  plugins: Array<{ use: string } & Record<string, unknown>>;
}

export const METHODS: readonly MethodCase[] = [
  { name: "no plugins", plugins: [] },
  { name: "hero", plugins: [{ use: "hero", h: 0.5, gamma: 0.1 }] },
  { name: "nso", plugins: [{ use: "nso", sigma: 0.05 }] },
  { name: "seht", plugins: [{ use: "seht", lambda: 0.01 }] },
  { name: "grad-l1", plugins: [{ use: "grad-l1", lambda: 0.01 }] },
  { name: "pertopt", plugins: [{ use: "pertopt", eta: 1e3, gamma: 1, beta2: 10 }] },
  { name: "sam", plugins: [{ use: "sam", rho: 0.05 }] },
  { name: "usam", plugins: [{ use: "usam", rho: 0.05 }] },
  { name: "asam", plugins: [{ use: "asam", rho: 0.5 }] },
  { name: "rsam", plugins: [{ use: "rsam", rho: 0.05, sigma: 0.01 }] },
  { name: "wp-sgd", plugins: [{ use: "wp-sgd", sigma: 0.01 }] },
];
