/**
 * The datasets Tensorloom ships with, as the dataset picker lists them and as
 * graph validation reads their shapes. Counts are before any `trainLimit` or `testLimit`.
 */

import type { DatasetInfo } from '../../shared/api';
import type { DatasetId } from '../../shared/project';
import type { DatasetShapes } from '../graph/types';
import { MNIST_CLASS_COUNT, MNIST_PIXELS, MNIST_TRAIN_FRACTION } from './mnist';
import { SYNTHETIC_TEST_COUNT, SYNTHETIC_TRAIN_COUNT, syntheticClassCount } from './synthetic';

const MNIST_DIGIT_COUNT = 10_000;
const MNIST_TRAIN_COUNT = Math.round(MNIST_DIGIT_COUNT * MNIST_TRAIN_FRACTION);

export const DATASETS: readonly DatasetInfo[] = [
  {
    id: 'mnist',
    label: 'MNIST digits',
    description:
      'Handwritten digits 0 to 9 as 28x28 grayscale images with pixels from 0 (white) to 1 (black), flattened to 784 features. Ten classes.',
    featureShape: [MNIST_PIXELS],
    classCount: MNIST_CLASS_COUNT,
    trainCount: MNIST_TRAIN_COUNT,
    testCount: MNIST_DIGIT_COUNT - MNIST_TRAIN_COUNT,
  },
  {
    id: 'xor',
    label: 'XOR',
    description:
      'Points in the plane labelled by whether x and y have opposite signs. No straight line separates the classes, so the network needs a hidden layer.',
    featureShape: [2],
    classCount: syntheticClassCount('xor'),
    trainCount: SYNTHETIC_TRAIN_COUNT,
    testCount: SYNTHETIC_TEST_COUNT,
  },
  {
    id: 'circles',
    label: 'Circles',
    description: 'Two noisy concentric rings of points, one class each. The network has to learn a round boundary.',
    featureShape: [2],
    classCount: syntheticClassCount('circles'),
    trainCount: SYNTHETIC_TRAIN_COUNT,
    testCount: SYNTHETIC_TEST_COUNT,
  },
  {
    id: 'spirals',
    label: 'Spirals',
    description:
      'Three interleaved spiral arms of points, one class each. A harder boundary that needs a wider or deeper network.',
    featureShape: [2],
    classCount: syntheticClassCount('spirals'),
    trainCount: SYNTHETIC_TRAIN_COUNT,
    testCount: SYNTHETIC_TEST_COUNT,
  },
];

export const DATASET_IDS: readonly DatasetId[] = DATASETS.map((info) => info.id);

export function isDatasetId(value: unknown): value is DatasetId {
  return typeof value === 'string' && (DATASET_IDS as readonly string[]).includes(value);
}

/** Returns the catalog entry for `id`, or throws naming the known ids. */
export function getDatasetInfo(id: string): DatasetInfo {
  const info = DATASETS.find((entry) => entry.id === id);
  if (info === undefined) {
    throw new Error(`Unknown dataset "${id}": use one of ${DATASET_IDS.join(', ')}.`);
  }
  return info;
}

/** Returns the sample shape and class count that graph validation needs, without loading any data. */
export function datasetShapes(id: DatasetId): DatasetShapes {
  const info = getDatasetInfo(id);
  return { featureShape: info.featureShape, classCount: info.classCount };
}
