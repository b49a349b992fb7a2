/**
 * What flatfit needs from the platform it runs on: reading a file, loading a module by name or
 * path, the working directory, and native tfjs backend packages. The browser-safe entry
 * (`index.ts`) uses the browser host below; the Node entry (`node.ts`) installs the Node host
 * (`node-host.ts`). Nothing here imports a Node module, so bundlers need no shims.
 */
export interface LoadedModule {
  /** The module's exports. */
  exports: unknown;
  /** Where it was found (a file path in Node). */
  from: string;
}

export interface Host {
  /** "node" or "browser": used in messages. */
  readonly kind: "node" | "browser";
  /** The text of a file, its absolute path and its folder. */
  readTextFile(file: string): { text: string; path: string; dir: string };
  /** Loads a module by id (a package name, or an absolute path); undefined when it is not found. */
  loadModule(id: string, baseDir: string | undefined): LoadedModule | undefined;
  /** Whether a module id resolves (is installed), without loading it. */
  canResolve(id: string): boolean;
  /** The folder relative plugin paths start from when there is no config file. */
  cwd(): string | undefined;
  /** Resolves `file` against `dir` (Node: path.resolve). */
  resolvePath(dir: string | undefined, file: string): string;
}

export class HostUnsupportedError extends Error {}

const browserHost: Host = {
  kind: "browser",
  readTextFile(file) {
    throw new HostUnsupportedError(
      `cannot read config file "${file}" here: reading files needs Node. In a browser, pass the config object to createFlatfit`,
    );
  },
  loadModule() {
    return undefined;
  },
  canResolve() {
    return false;
  },
  cwd() {
    return undefined;
  },
  resolvePath(_dir, file) {
    return file;
  },
};

let current: Host = browserHost;

/** The host flatfit runs on. */
export function host(): Host {
  return current;
}

/** Installs a host (the Node entry does this once, at import). */
export function setHost(h: Host): void {
  current = h;
}
