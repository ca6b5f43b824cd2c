import { describe, expect, it } from 'vitest';
import { histogram } from '../../src/main/device/histogram';
import { countCorrect } from '../../src/main/device/session';

describe('histogram', () => {
  it('counts every value once', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));

    const result = histogram(values, 10);

    expect(result.counts.reduce((sum, count) => sum + count, 0)).toBe(1000);
    expect(result.edges).toHaveLength(11);
  });

  it('puts the maximum in the last bin', () => {
    const result = histogram(Float32Array.of(0, 1, 2, 3, 4), 4);

    expect(result.edges).toEqual([0, 1, 2, 3, 4]);
    expect(result.counts).toEqual([1, 1, 1, 2]);
  });

  it('widens a constant range', () => {
    const result = histogram(Float32Array.of(2, 2, 2), 2);

    expect(result.edges).toEqual([1.5, 2, 2.5]);
    expect(result.counts).toEqual([0, 3]);
  });

  it('skips non-finite values', () => {
    const result = histogram(Float32Array.of(Number.NaN, Infinity, 1, 3), 2);

    expect(result.counts).toEqual([1, 1]);
  });
});

describe('countCorrect', () => {
  it('counts rows whose argmax is the label', () => {
    const scores = Float32Array.of(0.1, 0.9, 0.8, 0.2, 0.3, 0.7); // [3, 2]

    expect(countCorrect(scores, 2, Int32Array.of(1, 0, 0))).toBe(2);
  });
});
