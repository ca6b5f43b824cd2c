import { describe, expect, it } from 'vitest';
import { allGather, allReduce, broadcast, reduceScatter } from '../../src/engine/parallel/collectives';
import { createGroup, createWorldGroup } from '../../src/engine/parallel/group';
import { createMemoryMesh } from '../../src/engine/parallel/memoryTransport';
import { concatAlong, evenChunkBounds, shardAlong } from '../../src/engine/parallel/sharding';
import { bitIdentical, maxRelativeError, randomIntegers, randomValues, runOnMemoryMesh, serialSum } from './helpers';

const GROUP_SIZES = [1, 2, 3, 4];
// Uneven on purpose for 3 and 4 ranks, and shorter than the ring for the 2-element case.
const LENGTHS = [2, 13, 64];

describe.each(GROUP_SIZES)('collectives on %i ranks', (worldSize) => {
  it.each(LENGTHS)('allReduce sum matches serial sum for %i elements', async (length) => {
    const inputs = Array.from({ length: worldSize }, (_, rank) => randomValues(100 + rank, length));
    const results = await runOnMemoryMesh(worldSize, (transport) =>
      allReduce(createWorldGroup(transport), inputs[transport.rank]),
    );

    const expected = serialSum(inputs);
    for (const result of results) expect(maxRelativeError(result, expected)).toBeLessThan(1e-6);
    for (const result of results) expect(bitIdentical(result, results[0])).toBe(true);
  });

  it('allReduce sum is exact for integer data', async () => {
    const inputs = Array.from({ length: worldSize }, (_, rank) => randomIntegers(200 + rank, 37));
    const results = await runOnMemoryMesh(worldSize, (transport) =>
      allReduce(createWorldGroup(transport), inputs[transport.rank]),
    );

    const expected = Float32Array.from(serialSum(inputs));
    for (const result of results) expect(Array.from(result)).toEqual(Array.from(expected));
  });

  it('allReduce mean divides the sum by the group size', async () => {
    const inputs = Array.from({ length: worldSize }, (_, rank) => randomValues(300 + rank, 29));
    const results = await runOnMemoryMesh(worldSize, (transport) =>
      allReduce(createWorldGroup(transport), inputs[transport.rank], 'mean'),
    );

    const expected = serialSum(inputs).map((value) => value / worldSize);
    for (const result of results) expect(maxRelativeError(result, expected)).toBeLessThan(1e-6);
    for (const result of results) expect(bitIdentical(result, results[0])).toBe(true);
  });

  it('allReduce leaves its input unchanged', async () => {
    const inputs = Array.from({ length: worldSize }, (_, rank) => randomValues(400 + rank, 10));
    const copies = inputs.map((input) => input.slice());
    await runOnMemoryMesh(worldSize, (transport) => allReduce(createWorldGroup(transport), inputs[transport.rank]));

    inputs.forEach((input, rank) => expect(bitIdentical(input, copies[rank])).toBe(true));
  });

  it('allReduce is reproducible across runs', async () => {
    const inputs = Array.from({ length: worldSize }, (_, rank) => randomValues(500 + rank, 50));
    const run = (): Promise<Float32Array[]> =>
      runOnMemoryMesh(worldSize, (transport) => allReduce(createWorldGroup(transport), inputs[transport.rank]));

    const [first, second] = [await run(), await run()];
    first.forEach((result, rank) => expect(bitIdentical(result, second[rank])).toBe(true));
  });

  it('allGather concatenates flat shards in rank order', async () => {
    // Shards of different lengths are allowed without a layout.
    const shards = Array.from({ length: worldSize }, (_, rank) => randomValues(600 + rank, 3 + rank));
    const results = await runOnMemoryMesh(worldSize, (transport) =>
      allGather(createWorldGroup(transport), shards[transport.rank]),
    );

    const expected = Float32Array.from(shards.flatMap((shard) => Array.from(shard)));
    for (const result of results) expect(bitIdentical(result, expected)).toBe(true);
  });

  it.each([0, 1, 2])('allGather joins shards along axis %i', async (axis) => {
    const fullShape = [2 * worldSize, 3 * worldSize, worldSize];
    const full = randomValues(700 + axis, fullShape.reduce((a, b) => a * b));
    const shardShape = fullShape.map((dim, i) => (i === axis ? dim / worldSize : dim));
    const results = await runOnMemoryMesh(worldSize, (transport) =>
      allGather(createWorldGroup(transport), shardAlong(full, fullShape, axis, worldSize, transport.rank), {
        shape: shardShape,
        axis,
      }),
    );

    for (const result of results) expect(bitIdentical(result, full)).toBe(true);
  });

  it.each(LENGTHS)('reduceScatter gives each rank its chunk of the sum for %i elements', async (length) => {
    const inputs = Array.from({ length: worldSize }, (_, rank) => randomValues(800 + rank, length));
    const results = await runOnMemoryMesh(worldSize, (transport) =>
      reduceScatter(createWorldGroup(transport), inputs[transport.rank]),
    );

    const expected = serialSum(inputs);
    const bounds = evenChunkBounds(length, worldSize);
    results.forEach((result, rank) => {
      expect(result.length).toBe(bounds[rank].end - bounds[rank].start);
      expect(maxRelativeError(result, expected.subarray(bounds[rank].start, bounds[rank].end))).toBeLessThan(1e-6);
    });
  });

  it('reduceScatter along an axis then allGather equals allReduce', async () => {
    const shape = [3, 2 * worldSize];
    const inputs = Array.from({ length: worldSize }, (_, rank) => randomValues(900 + rank, shape[0] * shape[1]));
    const results = await runOnMemoryMesh(worldSize, async (transport) => {
      const group = createWorldGroup(transport);
      const shard = await reduceScatter(group, inputs[transport.rank], { split: { shape, axis: 1 }, op: 'mean' });
      const gathered = await allGather(group, shard, { shape: [3, 2], axis: 1 });
      const reduced = await allReduce(group, inputs[transport.rank], 'mean');
      return { shard, gathered, reduced };
    });

    const expected = serialSum(inputs).map((value) => value / worldSize);
    results.forEach(({ shard, gathered, reduced }, rank) => {
      const expectedShard = shardAlong(Float32Array.from(expected), shape, 1, worldSize, rank);
      expect(maxRelativeError(shard, expectedShard)).toBeLessThan(1e-6);
      expect(maxRelativeError(gathered, expected)).toBeLessThan(1e-6);
      expect(maxRelativeError(reduced, expected)).toBeLessThan(1e-6);
    });
  });

  it('broadcast copies the root buffer to every rank, for each root', async () => {
    for (let root = 0; root < worldSize; root++) {
      const inputs = Array.from({ length: worldSize }, (_, rank) => randomValues(1000 + 10 * root + rank, 21));
      const results = await runOnMemoryMesh(worldSize, (transport) =>
        broadcast(createWorldGroup(transport), inputs[transport.rank], root),
      );

      for (const result of results) expect(bitIdentical(result, inputs[root])).toBe(true);
    }
  });
});

describe('collectives on a sub-group', () => {
  it('uses group ranks, not world ranks', async () => {
    // World ranks 3 and 1 form a group in that order, so world rank 3 is group rank 0.
    const inputs = [randomValues(1, 8), randomValues(2, 8), randomValues(3, 8), randomValues(4, 8)];
    const results = await runOnMemoryMesh(4, async (transport) => {
      if (transport.rank !== 1 && transport.rank !== 3) return null;
      const group = createGroup(transport, [3, 1]);
      const gathered = await allGather(group, inputs[transport.rank]);
      const fromRoot = await broadcast(group, inputs[transport.rank], 0);
      return { gathered, fromRoot };
    });

    const expectedGather = concatAlong([inputs[3], inputs[1]], [16], 0);
    for (const rank of [1, 3]) {
      expect(bitIdentical(results[rank]!.gathered, expectedGather)).toBe(true);
      expect(bitIdentical(results[rank]!.fromRoot, inputs[3])).toBe(true);
    }
  });
});

describe('collective input errors', () => {
  it('allReduce rejects buffers of different lengths across ranks', async () => {
    const transports = createMemoryMesh(2);
    const outcomes = await Promise.allSettled(
      transports.map((transport) => allReduce(createWorldGroup(transport), new Float32Array(transport.rank === 0 ? 4 : 6))),
    );

    // Rank 0 cuts 4 elements into chunks of 2, rank 1 cuts 6 into chunks of 3.
    expect(outcomes[0]).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringContaining('group rank 0 expected 2 elements for chunk 0 from group rank 1 but got 3') },
    });
    expect(outcomes[1]).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringContaining('Every member must pass a buffer of the same length') },
    });
  });

  it('allReduce rejects an unknown reduce op', async () => {
    const [transport] = createMemoryMesh(1);
    const group = createWorldGroup(transport);
    // @ts-expect-error: 'max' is not a ReduceOp, as a caller without types could pass.
    await expect(allReduce(group, new Float32Array(2), 'max')).rejects.toThrow("got reduce op 'max': use 'sum' or 'mean'");
  });

  it('broadcast rejects a root outside the group', async () => {
    const [transport] = createMemoryMesh(1);
    await expect(broadcast(createWorldGroup(transport), new Float32Array(2), 1)).rejects.toThrow(
      "broadcast on group 'world' got root 1: use a group rank from 0 to 0.",
    );
  });

  it('reduceScatter rejects an axis that does not divide by the group size', async () => {
    const results = await runOnMemoryMesh(2, (transport) =>
      reduceScatter(createWorldGroup(transport), new Float32Array(6), { split: { shape: [2, 3], axis: 1 } }).then(
        () => 'resolved',
        (error: Error) => error.message,
      ),
    );

    for (const message of results) expect(message).toContain('Cannot split dimension 1 of shape [2, 3] (size 3) evenly across 2 devices');
  });

  it('allGather rejects a shard that does not match its layout shape', async () => {
    const [transport] = createMemoryMesh(1);
    await expect(allGather(createWorldGroup(transport), new Float32Array(5), { shape: [2, 3], axis: 0 })).rejects.toThrow(
      "all-gather on group 'world' got 5 elements, but shape [2, 3] needs 6.",
    );
  });
});
