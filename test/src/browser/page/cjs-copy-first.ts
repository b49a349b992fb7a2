/**
 * The second copy of tfjs-core in the two-copies page: the CommonJS build (`main`,
 * dist/tf-core.node.js), where the rest of the page gets the ES-module build (`module`,
 * dist/index.js). The page imports this module first, so this copy is evaluated first and makes
 * the engine that both copies share: every Tensor and Variable the page creates is then an
 * instance of THIS copy's classes, not of those flatfit's own import of tfjs sees.
 * (two-copies.test.ts also bundles @tensorflow/tfjs-layers against this copy.)
 */
// @ts-ignore -- the CommonJS bundle has no type declarations of its own: typed as the package below
import * as cjsCore from "@tensorflow/tfjs-core/dist/tf-core.node.js";

export const tfCjs = cjsCore as unknown as typeof import("@tensorflow/tfjs-core");
