/**
 * Counts device→host reads (`dataSync`, `data`, `arraySync`, `array`: they all end in the engine's
 * `readSync` / `read`) while a function runs, and remembers where the first one came from. Used at
 * `logLevel: "debug"` to report reads inside a step, which stall a GPU pipeline.
 */
import * as tf from "@tensorflow/tfjs";

type Readable = { readSync(dataId: object): unknown; read(dataId: object): Promise<unknown> };

export class HostReadWatch {
  count = 0;
  private first?: string;

  watch<T>(fn: () => T): T {
    const engine = tf.engine() as unknown as Readable;
    const ownSync = Object.prototype.hasOwnProperty.call(engine, "readSync");
    const ownAsync = Object.prototype.hasOwnProperty.call(engine, "read");
    const readSync = engine.readSync;
    const read = engine.read;
    engine.readSync = (dataId) => {
      this.seen();
      return readSync.call(engine, dataId);
    };
    engine.read = (dataId) => {
      this.seen();
      return read.call(engine, dataId);
    };
    try {
      return fn();
    } finally {
      if (ownSync) engine.readSync = readSync;
      else delete (engine as Partial<Readable>).readSync;
      if (ownAsync) engine.read = read;
      else delete (engine as Partial<Readable>).read;
    }
  }

  /** Where the first read was made: the first stack frames outside tfjs and this file. */
  where(): string {
    return this.first ?? "unknown caller";
  }

  private seen(): void {
    this.count++;
    if (this.first !== undefined) return;
    const frames = (new Error().stack ?? "").split("\n").slice(1).map((l) => l.trim());
    const outside = frames.filter((l) => !/host-reads|@tensorflow|node:internal/.test(l));
    this.first = outside.slice(0, 2).join(" ← ") || "unknown caller";
  }
}
