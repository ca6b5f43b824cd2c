/**
 * Seeded minibatches: each call draws a fresh permutation from the generator, so
 * calling it once per epoch with one generator gives a different, reproducible
 * order every epoch.
 */

import { Tensor } from '../tensor/tensor';
import type { Rng } from '../tensor/random';
import { selectSamples, type DataSplit } from './dataset';

export interface Batch {
  /** [B, ...featureShape] */
  features: Tensor;
  /** Class index per sample, length B. */
  labels: Int32Array;
  /** Index of each batch row in the split. */
  indices: Int32Array;
}

export function batchCount(sampleCount: number, batchSize: number): number {
  return Math.ceil(sampleCount / batchSize);
}

/**
 * Splits `split` into batches of `batchSize` samples, keeping the last partial batch.
 * With an `rng` the samples are shuffled first (the shuffle happens in this call, not
 * on the first iteration). With `null` they keep their order, as evaluation wants.
 * `featureShape` defaults to flat rows, `[features.length / count]`.
 */
export function makeBatches(
  split: DataSplit,
  batchSize: number,
  rng: Rng | null,
  featureShape?: readonly number[],
): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new Error(`Invalid batch size ${batchSize}: use a positive integer.`);
  }
  const sampleSize = split.count === 0 ? 0 : split.features.length / split.count;
  const shape = featureShape ?? [sampleSize];
  const shapeSize = shape.reduce((product, dim) => product * dim, 1);
  if (split.count > 0 && shapeSize !== sampleSize) {
    throw new Error(
      `Feature shape [${shape.join(', ')}] has ${shapeSize} values but each sample of the split has ${sampleSize}.`,
    );
  }

  const order = new Int32Array(split.count);
  for (let i = 0; i < split.count; i++) order[i] = i;
  if (rng !== null) rng.shuffle(order);

  return generateBatches(split, order, batchSize, shape, sampleSize);
}

function* generateBatches(
  split: DataSplit,
  order: Int32Array,
  batchSize: number,
  featureShape: readonly number[],
  sampleSize: number,
): Generator<Batch> {
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, Math.min(start + batchSize, order.length));
    const picked = selectSamples(split, indices, sampleSize);
    const features = new Tensor(picked.features, [picked.count, ...featureShape]); // [B, ...featureShape]
    yield { features, labels: picked.labels, indices };
  }
}
