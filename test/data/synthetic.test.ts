import { describe, expect, it } from 'vitest';
import { buildSyntheticDataset, type SyntheticDatasetId } from '../../src/engine/data/synthetic';
import { DATASETS, datasetShapes, getDatasetInfo, isDatasetId } from '../../src/engine/data/catalog';
import { loadDataset } from '../../src/main/data/loadDataset';

const ids: SyntheticDatasetId[] = ['xor', 'circles', 'spirals'];

describe.each(ids)('synthetic dataset %s', (id) => {
  const dataset = buildSyntheticDataset(id, 3);
  const info = getDatasetInfo(id);

  it('has 800 train and 200 test points', () => {
    expect(dataset.train.count).toBe(800);
    expect(dataset.test.count).toBe(200);
    expect(dataset.train.features.length).toBe(1600);
    expect(dataset.test.features.length).toBe(400);
  });

  it('matches its catalog entry', () => {
    expect(dataset.featureShape).toEqual(info.featureShape);
    expect(dataset.classCount).toBe(info.classCount);
    expect(dataset.train.count).toBe(info.trainCount);
    expect(dataset.test.count).toBe(info.testCount);
  });

  it('keeps the classes balanced within 15%', () => {
    const counts = new Array<number>(dataset.classCount).fill(0);
    for (const label of dataset.train.labels) counts[label] += 1;
    const expected = 800 / dataset.classCount;
    for (const count of counts) expect(Math.abs(count - expected) / expected).toBeLessThan(0.15);
  });

  it('keeps points near the unit square', () => {
    for (const value of dataset.train.features) expect(Math.abs(value)).toBeLessThan(1.5);
  });

  it('is the same for the same seed', () => {
    const again = buildSyntheticDataset(id, 3);
    expect(again.train.features).toEqual(dataset.train.features);
    expect(again.test.labels).toEqual(dataset.test.labels);
  });

  it('differs for another seed', () => {
    expect(buildSyntheticDataset(id, 4).train.features).not.toEqual(dataset.train.features);
  });
});

describe('xor labels', () => {
  it('mark points whose coordinates have opposite signs, up to noise near the axes', () => {
    const { train } = buildSyntheticDataset('xor', 9);
    let agreeing = 0;
    for (let i = 0; i < train.count; i++) {
      const opposite = train.features[2 * i] * train.features[2 * i + 1] < 0 ? 1 : 0;
      if (opposite === train.labels[i]) agreeing += 1;
    }
    expect(agreeing / train.count).toBeGreaterThan(0.95);
  });
});

describe('dataset catalog', () => {
  it('lists each dataset once', () => {
    expect(new Set(DATASETS.map((info) => info.id)).size).toBe(DATASETS.length);
  });

  it('gives MNIST shapes without loading it', () => {
    expect(datasetShapes('mnist')).toEqual({ featureShape: [784], classCount: 10 });
  });

  it('rejects an unknown id with the known ids', () => {
    expect(() => getDatasetInfo('cifar')).toThrow('Unknown dataset "cifar": use one of mnist, xor, circles, spirals, brown, text-file.');
  });

  it('recognises dataset ids', () => {
    expect(isDatasetId('spirals')).toBe(true);
    expect(isDatasetId('Spirals')).toBe(false);
    expect(isDatasetId(3)).toBe(false);
  });

  it('loads synthetic datasets through loadDataset with limits', () => {
    const dataset = loadDataset({ id: 'circles', trainLimit: 100, testLimit: 300 }, 5);
    expect(dataset.train.count).toBe(100);
    expect(dataset.test.count).toBe(200);
  });
});
