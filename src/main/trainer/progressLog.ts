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
  /** Present for language models, whose losses are in nats per token. */
  unigramEntropyNats?: number;
  tokensPerSecond?: number;
  /** Name of one token in the loss unit: `char` or `byte`. Default `token`. */
  tokenName?: string;
}

/** Returns what one token of a project's text is: a character or a byte. */
export function tokenNameOf(tokenizer: 'char' | 'byte' | undefined): string {
  return tokenizer === 'byte' ? 'byte' : 'char';
}

/**
 * Formats an epoch line: `epoch 1/5 train loss 0.4012 test loss 0.2110 test acc 93.80% 5120 samples/s 12.4 s`,
 * or for a language model `epoch 1/5 train loss 2.4012 val loss 2.3110 nats/char (unigram 3.0120) next-token acc 31.80% 8120 tokens/s 12.4 s`.
 */
export function formatEpochLine(summary: EpochSummary): string {
  if (summary.unigramEntropyNats !== undefined) {
    return (
      `epoch ${summary.epoch}/${summary.totalEpochs} train loss ${summary.trainLoss.toFixed(4)} ` +
      `val loss ${summary.testLoss.toFixed(4)} nats/${summary.tokenName ?? 'token'} (unigram ${summary.unigramEntropyNats.toFixed(4)}) ` +
      `next-token acc ${formatPercent(summary.testAccuracy)} ${Math.round(summary.tokensPerSecond ?? 0)} tokens/s ${(summary.durationMs / 1000).toFixed(1)} s`
    );
  }
  return (
    `epoch ${summary.epoch}/${summary.totalEpochs} train loss ${summary.trainLoss.toFixed(4)} ` +
    `test loss ${summary.testLoss.toFixed(4)} test acc ${formatPercent(summary.testAccuracy)} ` +
    `${Math.round(summary.samplesPerSecond)} samples/s ${(summary.durationMs / 1000).toFixed(1)} s`
  );
}
