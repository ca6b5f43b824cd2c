import { describe, expect, it } from 'vitest';
import { concatAlong, evenChunkBounds, gatheredShape, shardAlong } from '../../src/engine/parallel/sharding';

/** Returns values 0, 1, 2, … so each element shows where it came from. */
function arange(length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => i);
}

describe('shardAlong', () => {
  it('splits rows along axis 0', () => {
    // [4, 2] -> two [2, 2] shards.
    expect(Array.from(shardAlong(arange(8), [4, 2], 0, 2, 1))).toEqual([4, 5, 6, 7]);
  });

  it('splits columns along axis 1', () => {
    // [2, 4] -> two [2, 2] shards: columns 2 and 3 of each row.
    expect(Array.from(shardAlong(arange(8), [2, 4], 1, 2, 1))).toEqual([2, 3, 6, 7]);
  });

  it('splits the middle axis of a 3-D shape', () => {
    // [2, 3, 2] -> three [2, 1, 2] shards: element (b, 1, c) for shard 1.
    expect(Array.from(shardAlong(arange(12), [2, 3, 2], 1, 3, 1))).toEqual([2, 3, 8, 9]);
  });

  it('accepts a negative axis counted from the end', () => {
    expect(Array.from(shardAlong(arange(8), [2, 4], -1, 2, 0))).toEqual(Array.from(shardAlong(arange(8), [2, 4], 1, 2, 0)));
  });

  it('rejects an uneven split naming dimension, size and device count', () => {
    expect(() => shardAlong(arange(6), [2, 3], 1, 2, 0)).toThrow(
      'Cannot split dimension 1 of shape [2, 3] (size 3) evenly across 2 devices: use a device count that divides 3, or resize that dimension.',
    );
  });

  it('rejects data that does not match the shape', () => {
    expect(() => shardAlong(arange(5), [2, 3], 0, 1, 0)).toThrow('shardAlong got 5 elements, but shape [2, 3] needs 6.');
  });

  it('rejects an axis outside the shape', () => {
    expect(() => shardAlong(arange(6), [2, 3], 2, 1, 0)).toThrow('Invalid axis 2 for shape [2, 3]: use an integer from -2 to 1.');
  });

  it('rejects a shape with a fractional dimension', () => {
    expect(() => shardAlong(arange(5), [2.5, 2], 0, 1, 0)).toThrow('Invalid shape [2.5, 2]: every dimension must be a non-negative integer.');
  });

  it('rejects a shard index outside the part count', () => {
    expect(() => shardAlong(arange(6), [2, 3], 0, 2, 2)).toThrow('shardAlong got shard index 2: use an integer from 0 to 1.');
  });
});

describe('concatAlong', () => {
  it.each([0, 1, 2])('inverts shardAlong on axis %i', (axis) => {
    const shape = [4, 6, 2];
    const data = arange(48);
    const shards = [0, 1].map((index) => shardAlong(data, shape, axis, 2, index));
    expect(Array.from(concatAlong(shards, shape, axis))).toEqual(Array.from(data));
  });

  it('rejects shards of the wrong length', () => {
    expect(() => concatAlong([arange(3), arange(2)], [2, 3], 0)).toThrow(
      'concatAlong got shard 1 with 2 elements, but joining 2 shards into shape [2, 3] along axis 0 needs 3 each.',
    );
  });

  it('rejects a shape whose axis does not divide by the shard count', () => {
    expect(() => concatAlong([arange(3), arange(3)], [3, 2], 0)).toThrow('Cannot split dimension 0 of shape [3, 2] (size 3) evenly across 2 devices');
  });
});

describe('evenChunkBounds', () => {
  it('gives the longer chunks to the lower parts', () => {
    expect(evenChunkBounds(10, 4).map(({ start, end }) => end - start)).toEqual([3, 3, 2, 2]);
  });

  it('covers the range without gaps', () => {
    expect(evenChunkBounds(7, 3)).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 5 },
      { start: 5, end: 7 },
    ]);
  });

  it('leaves trailing chunks empty when there are fewer elements than parts', () => {
    expect(evenChunkBounds(2, 4).map(({ start, end }) => end - start)).toEqual([1, 1, 0, 0]);
  });
});

describe('gatheredShape', () => {
  it('multiplies the axis by the part count', () => {
    expect(gatheredShape([2, 3], -1, 4)).toEqual([2, 12]);
  });
});
