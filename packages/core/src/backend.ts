/**
 * Backend choice. "auto": `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`, else the
 * backend tfjs is already using (the one the user set with `tf.setBackend`, or tfjs's default:
 * webgl in browsers, the pure-JS `cpu` in Node). The native packages are optional peers: they
 * download libtensorflow at install time, which is not possible everywhere. Any other preference
 * switches to that backend. The choice is logged once.
 */
import * as tf from "@tensorflow/tfjs";
import { LOG_LEVELS, type Logger } from "./logger";

export type BackendPreference = "auto" | "tensorflow" | "cpu" | "wasm" | "webgl";
export const BACKENDS: readonly BackendPreference[] = ["auto", "tensorflow", "cpu", "wasm", "webgl"];

let announced: string | undefined;

function tryRequire(name: string): boolean {
  try {
    require(name);
    return true;
  } catch {
    return false;
  }
}

/** Picks and initialises the backend; returns its name ("tensorflow", "cpu", …). */
export async function selectBackend(pref: BackendPreference, logger: Logger): Promise<string> {
  let source = "@tensorflow/tfjs";
  if (pref === "auto" || pref === "tensorflow") {
    if (tryRequire("@tensorflow/tfjs-node-gpu")) source = "@tensorflow/tfjs-node-gpu";
    else if (tryRequire("@tensorflow/tfjs-node")) source = "@tensorflow/tfjs-node";
    else if (pref === "tensorflow") {
      throw new Error('backend "tensorflow" needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node installed; use backend "auto" or "cpu"');
    }
  }
  if (pref === "wasm" && !tryRequire("@tensorflow/tfjs-backend-wasm")) {
    throw new Error('backend "wasm" needs @tensorflow/tfjs-backend-wasm installed; use backend "auto" or "cpu"');
  }
  await tf.ready();
  const want = pref === "auto" ? (source === "@tensorflow/tfjs" ? undefined : "tensorflow") : pref;
  if (want !== undefined && tf.getBackend() !== want) {
    const ok = await tf.setBackend(want);
    if (!ok) throw new Error(`backend "${want}" could not be initialised (accepted: ${BACKENDS.join(", ")})`);
  }
  await tf.ready();
  const name = tf.getBackend();
  // The cpu backend prints its own "install tfjs-node" banner on first use; the line below says it once.
  if (name === "cpu") (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  const line = `backend: ${name} (${source}${name === "cpu" ? "; install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node for native speed" : ""})`;
  // once per process — but only counted as said when this logger prints info lines
  if (announced !== line && LOG_LEVELS.indexOf(logger.level) >= LOG_LEVELS.indexOf("info")) {
    announced = line;
    logger.info(line);
  }
  return name;
}
