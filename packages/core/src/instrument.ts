/**
 * `attach(model)` instruments `model.fit` (on that model instance only) so that every fit runs
 * with flatfit's callback first in its list, fed with fit's own `validationData`. The user's
 * `model.fit(...)` call stays as it was.
 */
import * as tf from "@tensorflow/tfjs";
import { FlatfitCallback } from "./callbacks";

const ORIGINAL_FIT = Symbol.for("flatfit.originalFit");
type Fit = tf.LayersModel["fit"];
type Instrumented = tf.LayersModel & { [ORIGINAL_FIT]?: Fit };
type Validation = [tf.Tensor | tf.Tensor[], tf.Tensor | tf.Tensor[]];

/** fit's `callbacks` argument as a list of real callbacks (tfjs accepts several shapes). */
function asCallbackList(cbs: tf.ModelFitArgs["callbacks"]): tf.CustomCallback[] | tf.Callback[] {
  if (cbs == null) return [];
  const list = (Array.isArray(cbs) ? cbs : [cbs]) as unknown[];
  return list.map((c) =>
    c instanceof tf.Callback || (typeof c === "object" && c !== null && typeof (c as tf.Callback).setModel === "function" && typeof (c as tf.Callback).setParams === "function")
      ? (c as tf.Callback)
      : new tf.CustomCallback(c as tf.CustomCallbackArgs),
  ) as tf.Callback[];
}

export function instrumentFit(model: tf.LayersModel, makeCallback: (validationData?: Validation) => FlatfitCallback): void {
  const m = model as Instrumented;
  const original: Fit = m[ORIGINAL_FIT] ?? m.fit;
  m[ORIGINAL_FIT] = original;
  m.fit = function (this: tf.LayersModel, x, y, args: tf.ModelFitArgs = {}) {
    const callbacks = asCallbackList(args.callbacks) as tf.Callback[];
    if (callbacks.some((c) => c instanceof FlatfitCallback)) return original.call(model, x, y, args);
    const vd = args.validationData;
    const validation = Array.isArray(vd) && vd.length >= 2 ? ([vd[0], vd[1]] as Validation) : undefined;
    return original.call(model, x, y, { ...args, callbacks: [makeCallback(validation), ...callbacks] });
  } as Fit;
}
