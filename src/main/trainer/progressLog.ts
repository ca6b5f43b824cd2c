/** Progress lines for the log, one per logging interval and one per epoch, with units. */

export interface ProgressSnapshot {
  epoch: number;
  totalEpochs: number;
  step: number;
  loss: number;
  /** Test accuracy of the last finished epoch, as a fraction; null before the first epoch ends. */
  testAccuracy: number | null;
  samplesPerSecond: number;
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** Formats one progress line: `epoch 2/5 step 250 loss 0.3121 test acc 94.10% 5230 samples/s`. */
export function formatProgressLine(progress: ProgressSnapshot): string {
  const accuracy = progress.testAccuracy === null ? 'n/a' : formatPercent(progress.testAccuracy);
  return (
    `epoch ${progress.epoch}/${progress.totalEpochs} step ${progress.step} loss ${progress.loss.toFixed(4)} ` +
    `test acc ${accuracy} ${Math.round(progress.samplesPerSecond)} samples/s`
  );
}

export interface EpochSummary {
  epoch: number;
  totalEpochs: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  samplesPerSecond: number;
  durationMs: number;
}

/** Formats an epoch line: `epoch 1/5 train loss 0.4012 test loss 0.2110 test acc 93.80% 5120 samples/s 12.4 s`. */
export function formatEpochLine(summary: EpochSummary): string {
  return (
    `epoch ${summary.epoch}/${summary.totalEpochs} train loss ${summary.trainLoss.toFixed(4)} ` +
    `test loss ${summary.testLoss.toFixed(4)} test acc ${formatPercent(summary.testAccuracy)} ` +
    `${Math.round(summary.samplesPerSecond)} samples/s ${(summary.durationMs / 1000).toFixed(1)} s`
  );
}
