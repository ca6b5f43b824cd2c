/**
 * Small 2-D point datasets for quick experiments: each trains a tiny network in
 * seconds, and the decision boundary is easy to picture. Every sample is a point
 * (x, y) with coordinates roughly in [-1, 1]. The classes are balanced and the
 * Gaussian noise comes from the seed.
 */

import type { DatasetId } from '../../shared/project';
import { Rng } from '../tensor/random';
import { selectSamples, shuffledIndices, type Dataset, type DataSplit } from './dataset';

export type SyntheticDatasetId = Exclude<DatasetId, 'mnist' | 'brown' | 'text-file'>;

export const SYNTHETIC_TRAIN_COUNT = 800;
export const SYNTHETIC_TEST_COUNT = 200;

interface PointGenerator {
  classCount: number;
  /** Writes one point of class `label` into `point`. */
  sample(label: number, rng: Rng, point: Float32Array): void;
}

/** Standard deviation of the Gaussian jitter added to every coordinate. */
const NOISE = { xor: 0.08, circles: 0.08, spirals: 0.05 } as const;

const GENERATORS: Record<SyntheticDatasetId, PointGenerator> = {
  // Class 1 where x and y have opposite signs. Points keep a margin of 0.1 from
  // the axes before the noise, so the classes are separable but touch.
  xor: {
    classCount: 2,
    sample(label, rng, point) {
      const signX = rng.next() < 0.5 ? -1 : 1;
      const signY = label === 1 ? -signX : signX;
      point[0] = signX * rng.uniform(0.1, 1) + NOISE.xor * rng.normal();
      point[1] = signY * rng.uniform(0.1, 1) + NOISE.xor * rng.normal();
    },
  },
  // Class 0 on a ring of radius 0.4, class 1 on a ring of radius 0.9.
  circles: {
    classCount: 2,
    sample(label, rng, point) {
      const radius = label === 0 ? 0.4 : 0.9;
      const angle = rng.uniform(0, 2 * Math.PI);
      point[0] = radius * Math.cos(angle) + NOISE.circles * rng.normal();
      point[1] = radius * Math.sin(angle) + NOISE.circles * rng.normal();
    },
  },
  // Three arms winding out from the centre, one per class, each turning through
  // 1.5 radians per unit of radius and rotated by a third of a turn from the last.
  spirals: {
    classCount: 3,
    sample(label, rng, point) {
      const radius = rng.uniform(0.05, 1);
      const angle = (label * 2 * Math.PI) / 3 + 1.5 * Math.PI * radius;
      point[0] = radius * Math.cos(angle) + NOISE.spirals * rng.normal();
      point[1] = radius * Math.sin(angle) + NOISE.spirals * rng.normal();
    },
  },
};

export function syntheticClassCount(id: SyntheticDatasetId): number {
  return GENERATORS[id].classCount;
}

/**
 * Generates `trainCount + testCount` points, cycling through the classes so they
 * stay balanced, then shuffles them with the same seed and splits them.
 */
export function buildSyntheticDataset(
  id: SyntheticDatasetId,
  seed: number,
  trainCount = SYNTHETIC_TRAIN_COUNT,
  testCount = SYNTHETIC_TEST_COUNT,
): Dataset {
  const generator = GENERATORS[id];
  if (generator === undefined) {
    throw new Error(`Unknown synthetic dataset "${id}": use one of ${Object.keys(GENERATORS).join(', ')}.`);
  }

  const rng = new Rng(seed);
  const total = trainCount + testCount;
  const all: DataSplit = { features: new Float32Array(total * 2), labels: new Int32Array(total), count: total };
  for (let i = 0; i < total; i++) {
    const label = i % generator.classCount;
    all.labels[i] = label;
    generator.sample(label, rng, all.features.subarray(i * 2, i * 2 + 2));
  }

  const order = shuffledIndices(total, rng);
  return {
    id,
    featureShape: [2],
    classCount: generator.classCount,
    train: selectSamples(all, order.subarray(0, trainCount), 2),
    test: selectSamples(all, order.subarray(trainCount), 2),
  };
}
