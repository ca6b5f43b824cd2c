import type { CliOutput } from './output';

const BAR_WIDTH = 30;
/** Minimum gap between two redraws, so a fast run does not flood the terminal. */
const REDRAW_INTERVAL_MS = 100;

/** A one-line progress bar on a terminal's stderr, redrawn in place with a carriage return. */
export class ProgressBar {
  private lastDrawMs = 0;
  private visible = false;

  constructor(private readonly output: CliOutput) {}

  update(epoch: number, totalEpochs: number, stepInEpoch: number, stepsPerEpoch: number, loss: number): void {
    const now = Date.now();
    if (now - this.lastDrawMs < REDRAW_INTERVAL_MS) return;
    this.lastDrawMs = now;

    const fraction = stepsPerEpoch > 0 ? Math.min(1, stepInEpoch / stepsPerEpoch) : 0;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
    this.output.stderr(`\r[${bar}] epoch ${epoch}/${totalEpochs} step ${stepInEpoch}/${stepsPerEpoch} loss ${loss.toFixed(4)}\x1b[K`);
    this.visible = true;
  }

  /** Erases the bar so a normal line can be printed in its place. */
  clear(): void {
    if (!this.visible) return;
    this.output.stderr('\r\x1b[K');
    this.visible = false;
  }
}
