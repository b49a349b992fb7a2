/**
 * The bench runs with @flatfit/backends' extras installed, as the CLI does; the backends case
 * also times tfjs's stock cpu kernel, so it can swap the two registrations.
 */
import * as tf from "@tensorflow/tfjs";
import { EXTRAS, installBackendExtras } from "@flatfit/backends";

let stock: tf.KernelConfig[] | undefined;
let extras: tf.KernelConfig[] | undefined;

/** Installs the extras, remembering tfjs's own cpu kernels that they replace (first call only). */
export function installExtras(): void {
  if (stock !== undefined) return;
  stock = EXTRAS.cpu.map((name) => tf.getKernel(name, "cpu")).filter((k): k is tf.KernelConfig => k !== undefined);
  installBackendExtras();
  extras = EXTRAS.cpu.map((name) => tf.getKernel(name, "cpu")!);
}

/** Registers the extras' cpu kernels (true) or the stock ones (false). */
export function extrasOn(on: boolean): void {
  installExtras();
  for (const k of on ? extras! : stock!) {
    if (tf.getKernel(k.kernelName, "cpu") !== k) {
      tf.unregisterKernel(k.kernelName, "cpu");
      tf.registerKernel(k);
    }
  }
}
