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
  {
    id: 'brown',
    label: 'Brown corpus (text)',
    description:
      'About six million characters of American English from 1961: news, fiction, science and more, 500 documents in all. ' +
      'A language model learns to predict each next character (or byte) from the ones before it. Train it with a Token input node.',
    featureShape: [],
    classCount: 0,
    trainCount: 0,
    testCount: 0,
    task: 'language-model',
  },
  {
    id: 'text-file',
    label: 'Text file',
    description:
      'Any UTF-8 text file you choose (set its path in the dataset settings). A language model learns to predict each next ' +
      'character (or byte) from the ones before it. Train it with a Token input node.',
    featureShape: [],
    classCount: 0,
    trainCount: 0,
    testCount: 0,
    task: 'language-model',
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

/** True for the text datasets, which train next-token language models. */
export function isTextDataset(id: DatasetId): boolean {
  return getDatasetInfo(id).task === 'language-model';
}

/**
 * Returns the sample shape and class count that graph validation needs, without loading any data.
 * A text dataset's vocabulary size depends on its text and tokenizer, so pass it once the text is
 * loaded; until then shapes carry the symbol `V` for it.
 */
export function datasetShapes(id: DatasetId, vocabularySize?: number): DatasetShapes {
  const info = getDatasetInfo(id);
  if (info.task === 'language-model') {
    return { featureShape: [], classCount: vocabularySize ?? 0, task: 'language-model', ...(vocabularySize === undefined ? {} : { vocabularySize }) };
  }
  return { featureShape: info.featureShape, classCount: info.classCount };
}
