/**
 * Backend choice. "auto" in Node: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` — each
 * only when it loads AND registers its "tensorflow" backend; else, when the app has not started a
 * backend itself, `wasm` (`@tensorflow/tfjs-backend-wasm` with the training kernels it lacks from
 * `@flatfit/backends`; both must be installed); else the backend tfjs is using (the one the app set
 * with `tf.setBackend`, or tfjs's pure-JS `cpu`). In a browser nothing is loaded: the page's backend
 * stays. The native packages are optional peers: they download libtensorflow at install time, which
 * is not possible everywhere; wasm's binaries ship inside its npm package. Any other preference
 * switches to that backend, which must be registered (imported by the page, or installed in Node).
 * The choice is logged once.
 */
import * as tf from "@tensorflow/tfjs";
import { host } from "./host";
import { LOG_LEVELS, type Logger } from "./logger";

export type BackendPreference = "auto" | "tensorflow" | "cpu" | "wasm" | "webgl" | "webgpu";
export const BACKENDS: readonly BackendPreference[] = ["auto", "tensorflow", "cpu", "wasm", "webgl", "webgpu"];

const NATIVE = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;
const WASM = "@tensorflow/tfjs-backend-wasm";
const EXTRAS = "@flatfit/backends";
/** The package that registers each backend that @tensorflow/tfjs does not register itself. */
const PACKAGE: Partial<Record<BackendPreference, string>> = {
  tensorflow: NATIVE.join(" or "),
  wasm: "@tensorflow/tfjs-backend-wasm",
  webgpu: "@tensorflow/tfjs-backend-webgpu",
};

let announced: string | undefined;
/** The backend "auto" switched to in this process, and from where: named again when a later call keeps it. */
let picked: { name: string; source: string } | undefined;

/** Whether a backend of that name is registered with tfjs (a package resolving is not enough). */
export function isBackendRegistered(name: string): boolean {
  return tf.engine().registryFactory[name] !== undefined;
}

/** Loads a package: true when it loaded; a package that is there but throws is noted with its error. */
function load(pkg: string, notes: string[]): boolean {
  try {
    return host().loadModule(pkg, undefined) !== undefined;
  } catch (err) {
    notes.push(`${pkg} is installed but failed to load: ${String((err as Error).message ?? err).split("\n")[0]}`);
    return false;
  }
}

/** Loads the first native package that registers "tensorflow"; notes what loaded but registered nothing. */
function loadNative(notes: string[]): string | undefined {
  if (isBackendRegistered("tensorflow")) return "registered before createFlatfit";
  for (const pkg of NATIVE) {
    if (!load(pkg, notes)) continue;
    if (isBackendRegistered("tensorflow")) return pkg;
    notes.push(`${pkg} loads but registers no "tensorflow" backend`);
  }
  return undefined;
}

/** Whether the app has started a backend already (tf.setBackend, or any tensor made): "auto" then keeps it. */
function appChoseBackend(): boolean {
  return (tf.engine() as unknown as { backendInstance: unknown }).backendInstance != null;
}

/**
 * Loads the wasm backend and registers @flatfit/backends' kernels for it; the source to name, or
 * undefined (wasm not installed, or usable only without the training kernels: noted).
 */
function loadWasm(notes: string[]): string | undefined {
  if (!load(WASM, notes)) return undefined;
  if (!isBackendRegistered("wasm")) {
    notes.push(`${WASM} loads but registers no "wasm" backend`);
    return undefined;
  }
  let extras: { installBackendExtras?: (opts?: { backends?: string[] }) => string[] } | undefined;
  try {
    extras = host().loadModule(EXTRAS, undefined)?.exports as typeof extras;
  } catch (err) {
    notes.push(`${EXTRAS} is installed but failed to load: ${String((err as Error).message ?? err).split("\n")[0]}`);
    return undefined;
  }
  if (typeof extras?.installBackendExtras !== "function") {
    notes.push(`${WASM} is installed without ${EXTRAS}, whose kernels wasm needs to train convolutions; install ${EXTRAS} to train on wasm`);
    return undefined;
  }
  extras.installBackendExtras({ backends: ["wasm"] });
  return `${WASM} with ${EXTRAS}' kernels, single-threaded in Node`;
}

function unregistered(pref: BackendPreference, notes: string[]): Error {
  const pkg = PACKAGE[pref] ?? "@tensorflow/tfjs";
  const how = host().kind === "browser" ? `import "${pkg}" in the page before createFlatfit` : `install ${pkg}`;
  const why = notes.length > 0 ? ` (${notes.join("; ")})` : "";
  return new Error(`backend "${pref}" is not registered with tfjs${why}: ${how}, or use backend "auto" (accepted: ${BACKENDS.join(", ")})`);
}

/**
 * The backend line. `appStarted`: "auto" kept a backend the app had already initialized (by
 * tf.setBackend, or by creating a tensor, which makes tfjs start its default) before createFlatfit.
 */
function describe(name: string, source: string | undefined, notes: string[], appStarted = false): string {
  const why = notes.length > 0 ? `; ${notes.join("; ")}` : "";
  if (host().kind === "browser") {
    return `backend: ${name} (the page's tfjs backend${why}; pick another with tf.setBackend before createFlatfit, or the config's backend field)`;
  }
  if (source) return `backend: ${name} (${source})`;
  const install = `install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node for native speed, or ${WASM} and ${EXTRAS} (no download at install)`;
  if (appStarted) {
    const kept = `the app had already initialized the ${name} backend before createFlatfit (tf.setBackend, or a tensor created first), so flatfit keeps it`;
    const wasmReady = host().canResolve(WASM) && host().canResolve(EXTRAS);
    const advice =
      name === "wasm" || !wasmReady
        ? name === "cpu"
          ? `; ${install}`
          : ""
        : `; to train on wasm (installed), call createFlatfit before creating any tensor, or await tf.setBackend("wasm") before createFlatfit`;
    return `backend: ${name} (@tensorflow/tfjs${why}; ${kept}${advice})`;
  }
  const advice = name === "cpu" ? `; ${install}` : "";
  return `backend: ${name} (@tensorflow/tfjs${why}${advice})`;
}

/** Picks and initialises the backend; returns its name ("tensorflow", "cpu", "webgl", …). */
export async function selectBackend(pref: BackendPreference, logger: Logger): Promise<string> {
  if (!BACKENDS.includes(pref)) throw new Error(`backend "${String(pref)}" is not one of: ${BACKENDS.join(", ")}`);
  const notes: string[] = [];
  let source: string | undefined;
  let want: string | undefined = pref === "auto" ? undefined : pref;
  let appStarted = false;
  if ((pref === "auto" || pref === "tensorflow") && host().kind === "node") {
    const appChose = appChoseBackend();
    source = loadNative(notes);
    if (source) want = "tensorflow";
    else if (pref === "auto" && appChose) {
      appStarted = true;
      // the app set wasm itself: it keeps it, with the training kernels wasm lacks when they are installed
      if (tf.getBackend() === "wasm" && host().canResolve(EXTRAS)) source = loadWasm(notes);
    } else if (pref === "auto" && !appChose) {
      const registeredBefore = isBackendRegistered("wasm");
      source = loadWasm(notes);
      if (source) want = "wasm";
      // loaded here but not usable: keep it from winning tfjs's default by its priority
      else if (!registeredBefore && isBackendRegistered("wasm")) want = "cpu";
    }
  }
  if (want !== undefined && !isBackendRegistered(want)) {
    const pkg = PACKAGE[want as BackendPreference];
    if (pkg && want !== "tensorflow") load(pkg, notes);
    if (!isBackendRegistered(want)) throw unregistered(want as BackendPreference, notes);
  }
  await tf.ready();
  if (want !== undefined && tf.getBackend() !== want) {
    let ok = await tf.setBackend(want);
    if (!ok && pref === "auto" && want === "wasm") {
      notes.push(`${WASM} could not be initialised here`);
      source = undefined;
      ok = await tf.setBackend("cpu");
    }
    if (!ok) throw new Error(`backend "${want}" is registered but could not be initialised here (accepted: ${BACKENDS.join(", ")})`);
  }
  await tf.ready();
  const name = tf.getBackend();
  if (source !== undefined) picked = { name, source };
  else if (picked?.name === name) source = picked.source;
  // The cpu backend prints its own "install tfjs-node" banner on first use; the line below says it once.
  if (name === "cpu") (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  const line = describe(name, source, notes, appStarted);
  // once per process — but only counted as said when this logger prints info lines
  if (announced !== line && LOG_LEVELS.indexOf(logger.level) >= LOG_LEVELS.indexOf("info")) {
    announced = line;
    logger.info(line);
  }
  return name;
}
