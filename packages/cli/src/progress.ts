/**
 * Progress of training runs as events — from the run in this thread or posted by worker
 * threads — shown on the terminal: a bar per epoch and run (batches done, ETA, running loss and
 * metrics) when stdout is a TTY, else (or with --quiet) one plain line per finished epoch.
 */
import { MultiBar, type SingleBar } from "cli-progress";

export type ProgressEvent =
  | { type: "batch"; job: string; epoch: number; epochs: number; batch: number; batches: number; logs: Record<string, number> }
  | { type: "epoch"; job: string; epoch: number; epochs: number; logs: Record<string, number>; seconds: number; partial: boolean }
  | { type: "end"; job: string };

export type ProgressSink = (event: ProgressEvent) => void;

const ORDER = ["loss", "acc", "val_loss", "val_acc"];

/** "1.234", "0.0004567" → "4.567e-4": four significant digits. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(4)));
}

/** "loss 0.4321  acc 0.8812  val_loss …" — the usual keys first, then the rest in their order. */
export function formatLogs(logs: Record<string, number>, skip: (key: string) => boolean = () => false): string {
  const keys = Object.keys(logs).filter((k) => !skip(k));
  keys.sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  return keys.map((k) => `${k} ${fmt(logs[k])}`).join("  ");
}

export function epochLine(e: Extract<ProgressEvent, { type: "epoch" }>): string {
  const label = e.job ? `${e.job}  ` : "";
  const partial = e.partial ? " (interrupted)" : "";
  return `${label}epoch ${e.epoch + 1}/${e.epochs}${partial}  ${formatLogs(e.logs, (k) => k.endsWith("_se"))}  ${e.seconds.toFixed(1)} s`;
}

export class TerminalProgress {
  private multibar?: MultiBar;
  private readonly bars = new Map<string, SingleBar>();
  private readonly drawBars: boolean;

  /** `bars`: draw progress bars (needs a TTY); otherwise one line per epoch. */
  constructor(bars: boolean, private readonly out: NodeJS.WriteStream = process.stdout) {
    this.drawBars = bars && out.isTTY === true;
  }

  readonly sink: ProgressSink = (e) => {
    if (e.type === "batch") this.batch(e);
    else if (e.type === "epoch") {
      this.drop(e.job);
      this.log(epochLine(e));
    } else this.drop(e.job);
  };

  /** Prints a line above the bars (or plainly). */
  log(line: string): void {
    if (this.multibar && this.bars.size > 0) this.multibar.log(`${line}\n`);
    else this.out.write(`${line}\n`);
  }

  stop(): void {
    for (const job of [...this.bars.keys()]) this.drop(job);
    this.multibar?.stop();
    this.multibar = undefined;
  }

  private batch(e: Extract<ProgressEvent, { type: "batch" }>): void {
    if (!this.drawBars) return;
    this.multibar ??= new MultiBar({
      stream: this.out,
      format: "{job}epoch {epoch} {bar} {value}/{total} batches | ETA {eta_formatted} | {metrics}",
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      gracefulExit: false,
      etaBuffer: 30,
      autopadding: true,
    });
    const payload = { job: e.job ? `${e.job}  ` : "", epoch: `${e.epoch + 1}/${e.epochs}`, metrics: formatLogs(e.logs) };
    let bar = this.bars.get(e.job);
    if (!bar || bar.getTotal() !== e.batches || e.batch === 0) {
      this.drop(e.job);
      bar = this.multibar.create(e.batches, 0, payload);
      this.bars.set(e.job, bar);
    }
    bar.update(e.batch + 1, payload);
  }

  private drop(job: string): void {
    const bar = this.bars.get(job);
    if (!bar) return;
    this.bars.delete(job);
    this.multibar?.remove(bar);
    if (this.bars.size === 0) {
      this.multibar?.stop();
      this.multibar = undefined;
    }
  }
}
