/** The logger every plugin receives: levels, one prefix, and a sink that tests can replace. */
export type LogLevel = "silent" | "error" | "warn" | "info" | "debug";
export const LOG_LEVELS: readonly LogLevel[] = ["silent", "error", "warn", "info", "debug"];

export type LogSink = (level: Exclude<LogLevel, "silent">, message: string) => void;

const consoleSink: LogSink = (level, message) => {
  const line = `[flatfit] ${message}`;
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

export class Logger {
  private readonly once = new Set<string>();
  constructor(
    public level: LogLevel = "info",
    public sink: LogSink = consoleSink,
  ) {}

  private emit(level: Exclude<LogLevel, "silent">, message: string): void {
    if (LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(this.level)) this.sink(level, message);
  }
  error(message: string): void { this.emit("error", message); }
  warn(message: string): void { this.emit("warn", message); }
  info(message: string): void { this.emit("info", message); }
  debug(message: string): void { this.emit("debug", message); }
  /** Logs a message at most once per logger (keyed by the message). */
  warnOnce(message: string): void {
    if (this.once.has(message)) return;
    this.once.add(message);
    this.warn(message);
  }
}
