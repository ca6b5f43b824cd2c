/**
 * In-memory datasets: every sample's features flattened into one Float32Array,
 * row-major, one row of `featureShape` values per sample, with one integer class
 * label per sample.
 */

import type { DatasetId, DatasetRef } from '../../shared/project';
import type { Rng } from '../tensor/random';

export interface DataSplit {
  /** Sample features, `count` rows of `featureShape` values each. */
  features: Float32Array;
  /** Class index per sample, in [0, classCount). */
  labels: Int32Array;
  count: number;
}

export interface Dataset {
  id: DatasetId;
  /** Shape of one sample without the batch dimension (`[784]` for MNIST). */
  featureShape: readonly number[];
  classCount: number;
  train: DataSplit;
  test: DataSplit;
  /** For image datasets: the size in pixels that the flat features unfold to, row by row. */
  image?: { width: number; height: number };
}

export function featureSize(featureShape: readonly number[]): number {
  let size = 1;
  for (const dim of featureShape) size *= dim;
  return size;
}

/** Copies the samples at `indices` (in that order) into a new split. */
export function selectSamples(split: DataSplit, indices: ArrayLike<number>, sampleSize: number): DataSplit {
  const count = indices.length;
  const features = new Float32Array(count * sampleSize);
  const labels = new Int32Array(count);
  for (let row = 0; row < count; row++) {
    const source = indices[row];
    features.set(split.features.subarray(source * sampleSize, (source + 1) * sampleSize), row * sampleSize);
    labels[row] = split.labels[source];
  }
  return { features, labels, count };
}

/** Returns the first `limit` samples of a split. A limit that is 0, absent or above the count keeps them all. */
export function limitSplit(split: DataSplit, limit: number | undefined, sampleSize: number): DataSplit {
  if (limit === undefined || limit === 0 || limit >= split.count) return split;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new Error(`Invalid sample limit ${limit}: use a non-negative integer, or 0 for all samples.`);
  }
  return {
    features: split.features.slice(0, limit * sampleSize),
    labels: split.labels.slice(0, limit),
    count: limit,
  };
}

/**
 * Applies the reference's `trainLimit` and `testLimit`. The builders shuffle before
 * splitting, so the first N samples are a random subset rather than the first classes.
 */
export function applyDatasetLimits(dataset: Dataset, ref: DatasetRef): Dataset {
  const sampleSize = featureSize(dataset.featureShape);
  return {
    ...dataset,
    train: limitSplit(dataset.train, ref.trainLimit, sampleSize),
    test: limitSplit(dataset.test, ref.testLimit, sampleSize),
  };
}

/** Returns a shuffled permutation of 0..count-1 drawn from `rng`. */
export function shuffledIndices(count: number, rng: Rng): Int32Array {
  const indices = new Int32Array(count);
  for (let i = 0; i < count; i++) indices[i] = i;
  return rng.shuffle(indices);
}
