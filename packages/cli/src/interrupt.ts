/**
 * Ctrl-C during `train`: the first SIGINT asks the model to stop (`model.stopTraining = true`,
 * which `model.fit` checks after every batch), so training ends after the current batch and the
 * run directory is written with what there is. A second SIGINT quits at once (exit 130).
 *
 * Signal handlers run on the event loop, and `model.fit` only awaits promises between batches;
 * the callback below therefore yields to the event loop after each batch (a setImmediate), so
 * that a Ctrl-C is seen at the next batch end.
 */
import * as tf from "@tensorflow/tfjs";

export class Interrupt {
  private count = 0;
  private model?: tf.LayersModel;
  private readonly handler = () => this.onSignal();

  constructor(private readonly notify: (message: string) => void = (m) => process.stderr.write(`${m}\n`)) {}

  /** Whether a stop was asked for. */
  get requested(): boolean {
    return this.count > 0;
  }

  install(): this {
    process.on("SIGINT", this.handler);
    return this;
  }

  uninstall(): void {
    process.off("SIGINT", this.handler);
  }

  /** Asks the running fit to stop after its current batch (what SIGINT does). */
  request(): void {
    this.count = Math.max(this.count, 1);
    if (this.model) this.model.stopTraining = true;
  }

  /** The fit callback that stops training at the next batch end once a stop was asked for. */
  callback(): tf.Callback {
    return new InterruptCallback(this, (m) => (this.model = m));
  }

  private onSignal(): void {
    this.count++;
    if (this.count > 1) {
      this.notify("second interrupt: quitting without writing the run directory");
      process.exit(130);
    }
    this.notify("interrupt: stopping after the current batch, then writing the run directory (Ctrl-C again to quit now)");
    this.request();
  }
}

class InterruptCallback extends tf.Callback {
  constructor(
    private readonly interrupt: Interrupt,
    private readonly register: (model: tf.LayersModel) => void,
  ) {
    super();
  }

  override async onTrainBegin(): Promise<void> {
    this.register(this.model as tf.LayersModel);
  }

  override async onBatchEnd(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.interrupt.requested) (this.model as tf.LayersModel).stopTraining = true;
  }
}
