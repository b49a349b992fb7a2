/** A config that cannot be used: every problem found, each with where it is and what is accepted. */
export interface ConfigIssue {
  /** Path into the config, e.g. ["plugins", 0, "gamma"]. */
  path: (string | number)[];
  message: string;
  /** 1-based line and column in the config file, when the config came from a file. */
  line?: number;
  column?: number;
}

export class FlatfitConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly file?: string,
  ) {
    super(formatIssues(issues, file));
    this.name = "FlatfitConfigError";
  }
}

function formatIssues(issues: ConfigIssue[], file?: string): string {
  const lines = issues.map((i) => {
    const where = file ? `${file}${i.line ? `:${i.line}:${i.column ?? 1}` : ""}: ` : "";
    return `  - ${where}${i.message}`;
  });
  return `Invalid flatfit config${file ? ` (${file})` : ""}:\n${lines.join("\n")}`;
}

/** "plugins[0].gamma" */
export function formatPath(path: (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out || "(config)";
}
