import { describe, expect, it } from 'vitest';
import { batchCount, makeBatches } from '../../src/engine/data/batches';
import type { DataSplit } from '../../src/engine/data/dataset';
import { Rng } from '../../src/engine/tensor/random';

/** Builds a split of `count` samples with 3 features each, where sample i contains [i, i + 0.25, i + 0.5] and label i % 4. */
function countingSplit(count: number): DataSplit {
  const features = new Float32Array(count * 3);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    features.set([i, i + 0.25, i + 0.5], i * 3);
    labels[i] = i % 4;
  }
  return { features, labels, count };
}

describe('makeBatches', () => {
  const split = countingSplit(10);

  it('keeps the last partial batch', () => {
    const sizes = [...makeBatches(split, 4, new Rng(1))].map((batch) => batch.labels.length);
    expect(sizes).toEqual([4, 4, 2]);
    expect(batchCount(10, 4)).toBe(3);
  });

  it('visits every sample once per epoch', () => {
    const seen = [...makeBatches(split, 4, new Rng(1))].flatMap((batch) => [...batch.indices]);
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('copies each sample with its label into its row', () => {
    for (const batch of makeBatches(split, 4, new Rng(2))) {
      batch.indices.forEach((index, row) => {
        expect(Array.from(batch.features.data.subarray(row * 3, row * 3 + 3))).toEqual([index, index + 0.25, index + 0.5]);
        expect(batch.labels[row]).toBe(index % 4);
      });
    }
  });

  it('shapes features as [B, ...featureShape]', () => {
    const [first] = makeBatches(split, 4, null);
    expect(first.features.shape).toEqual([4, 3]);
    const [reshaped] = makeBatches(split, 4, null, [1, 3]);
    expect(reshaped.features.shape).toEqual([4, 1, 3]);
  });

  it('keeps the order without a generator', () => {
    const order = [...makeBatches(split, 3, null)].flatMap((batch) => [...batch.indices]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('gives the same order for the same seed', () => {
    const first = [...makeBatches(split, 4, new Rng(7))].flatMap((batch) => [...batch.indices]);
    const second = [...makeBatches(split, 4, new Rng(7))].flatMap((batch) => [...batch.indices]);
    expect(second).toEqual(first);
  });

  it('reshuffles every epoch from one generator', () => {
    const rng = new Rng(7);
    const epoch1 = [...makeBatches(split, 10, rng)][0].indices;
    const epoch2 = [...makeBatches(split, 10, rng)][0].indices;
    expect(Array.from(epoch2)).not.toEqual(Array.from(epoch1));
  });

  it('shuffles when called, not when first iterated', () => {
    const rng = new Rng(7);
    const early = makeBatches(split, 10, rng);
    const late = makeBatches(split, 10, rng);
    const reference = new Rng(7);
    const expectedEarly = [...makeBatches(split, 10, reference)][0].indices;
    expect([...late].length).toBe(1);
    expect(Array.from([...early][0].indices)).toEqual(Array.from(expectedEarly));
  });

  it('rejects a batch size of 0', () => {
    expect(() => makeBatches(split, 0, null)).toThrow('Invalid batch size 0: use a positive integer.');
  });

  it('rejects a feature shape that does not match the rows', () => {
    expect(() => makeBatches(split, 2, null, [4])).toThrow('Feature shape [4] has 4 values but each sample of the split has 3.');
  });

  it('yields nothing for an empty split', () => {
    expect([...makeBatches(countingSplit(0), 4, new Rng(1))]).toEqual([]);
  });
});
