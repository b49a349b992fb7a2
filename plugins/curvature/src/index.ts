/**
 * @flatfit/plugin-curvature — log the Hessian trace (with its standard error) and the dominant
 * Hessian eigenvalue of the validation loss at the end of every n-th epoch of `model.fit`.
 *
 *   const ff = await createFlatfit({ plugins: [{ use: "curvature", every: 5, samples: 20 }] });
 *   await model.fit(x, y, { callbacks: [ff.callbacks({ validationData: [xv, yv] })] });
 *   // history.history.hessian_trace, hessian_trace_se, hessian_max_eig
 */
import "reflect-metadata";
import { Curvature } from "./plugin";

export { Curvature };
export default Curvature;
export { curvatureOptions, type CurvatureOptions } from "./options";
export { measureCurvature, type CurvatureFigures } from "./measure";
