import { describe, expect, it } from 'vitest';
import { allReduce, broadcast } from '../../src/engine/parallel/collectives';
import { createGroup } from '../../src/engine/parallel/group';
import { createMemoryMesh } from '../../src/engine/parallel/memoryTransport';
import { createDeviceMesh, DeviceMesh } from '../../src/engine/parallel/mesh';
import { bitIdentical, maxRelativeError, randomValues, runOnMemoryMesh, serialSum } from './helpers';

describe('DeviceMesh', () => {
  const mesh = new DeviceMesh({ dataSize: 2, tensorSize: 2 });

  it('numbers ranks as dataIndex × tensorSize + tensorIndex', () => {
    expect(mesh.rankOf({ dataIndex: 1, tensorIndex: 0 })).toBe(2);
    expect(mesh.coordinatesOf(3)).toEqual({ dataIndex: 1, tensorIndex: 1 });
  });

  it('gives a 2×2 mesh tensor groups {0,1} and {2,3}', () => {
    expect([0, 1, 2, 3].map((rank) => mesh.tensorGroupRanks(rank))).toEqual([
      [0, 1],
      [0, 1],
      [2, 3],
      [2, 3],
    ]);
  });

  it('gives a 2×2 mesh data groups {0,2} and {1,3}', () => {
    expect([0, 1, 2, 3].map((rank) => mesh.dataGroupRanks(rank))).toEqual([
      [0, 2],
      [1, 3],
      [0, 2],
      [1, 3],
    ]);
  });

  it('gives each device its group ranks through groupsFor', () => {
    const transports = createMemoryMesh(4);
    const groups = transports.map((transport) => mesh.groupsFor(transport));

    expect(groups[2].data.worldRanks).toEqual([0, 2]);
    expect(groups[2].data.rank).toBe(1);
    expect(groups[2].tensor.worldRanks).toEqual([2, 3]);
    expect(groups[2].tensor.rank).toBe(0);
    expect(groups[2].world.size).toBe(4);
  });

  it('shares one accounting between the groups of a device', () => {
    const [transport] = createMemoryMesh(4);
    const groups = mesh.groupsFor(transport);
    expect(groups.data.accounting).toBe(groups.tensor.accounting);
  });

  it('rejects a world size that is not data × tensor', () => {
    expect(() => createDeviceMesh(6, { dataSize: 2, tensorSize: 2 })).toThrow(
      'Mesh shape 2×2 (data × tensor) needs 4 devices, but 6 are configured: choose data and tensor sizes whose product is 6.',
    );
  });

  it('rejects a dimension that is not a positive integer', () => {
    expect(() => new DeviceMesh({ dataSize: 0, tensorSize: 2 })).toThrow('Invalid mesh dataSize 0: use a positive integer number of devices.');
    expect(() => new DeviceMesh({ dataSize: 2, tensorSize: 1.5 })).toThrow('Invalid mesh tensorSize 1.5');
  });

  it('rejects a transport from a world of another size', () => {
    const [transport] = createMemoryMesh(3);
    expect(() => mesh.groupsFor(transport)).toThrow('A 2×2 (data × tensor) mesh needs 4 devices, but the transport of rank 0 connects 3.');
  });

  it('rejects coordinates and ranks outside the mesh', () => {
    expect(() => mesh.rankOf({ dataIndex: 2, tensorIndex: 0 })).toThrow('Invalid data index 2 in a 2×2 (data × tensor) mesh: use 0 to 1.');
    expect(() => mesh.coordinatesOf(4)).toThrow('Invalid rank 4 in a 2×2 (data × tensor) mesh: use 0 to 3.');
  });
});

describe('process groups', () => {
  it('reject a rank list without the own rank', () => {
    const [transport] = createMemoryMesh(4);
    expect(() => createGroup(transport, [1, 2])).toThrow('Rank 0 is not a member of process group [1, 2]');
  });

  it('reject duplicate and out-of-range ranks', () => {
    const [transport] = createMemoryMesh(4);
    expect(() => createGroup(transport, [0, 0])).toThrow('Rank 0 appears twice in process group [0, 0]');
    expect(() => createGroup(transport, [0, 4])).toThrow('Invalid rank 4 in process group [0, 4]: ranks must be integers from 0 to 3.');
    expect(() => createGroup(transport, [])).toThrow('A process group needs at least one rank');
  });
});

describe('concurrent collectives on a 2×2 mesh', () => {
  it('keep data, tensor and world group messages apart', async () => {
    const mesh = new DeviceMesh({ dataSize: 2, tensorSize: 2 });
    const gradients = [0, 1, 2, 3].map((rank) => randomValues(10 + rank, 24));
    const activations = [0, 1, 2, 3].map((rank) => randomValues(20 + rank, 10));
    const losses = [0, 1, 2, 3].map((rank) => randomValues(30 + rank, 10));

    // All three start before any finishes, odd ranks in the opposite order. The world
    // ring passes 0 -> 1 like the tensor group {0, 1}, with payloads of the same length,
    // so only the tags keep them apart.
    const results = await runOnMemoryMesh(4, async (transport) => {
      const { data, tensor, world } = mesh.groupsFor(transport);
      const rank = transport.rank;
      if (rank % 2 === 0) {
        const [dataSum, tensorSum, worldSum] = await Promise.all([
          allReduce(data, gradients[rank]),
          allReduce(tensor, activations[rank]),
          allReduce(world, losses[rank]),
        ]);
        return { dataSum, tensorSum, worldSum };
      }
      const [worldSum, tensorSum, dataSum] = await Promise.all([
        allReduce(world, losses[rank]),
        allReduce(tensor, activations[rank]),
        allReduce(data, gradients[rank]),
      ]);
      return { dataSum, tensorSum, worldSum };
    });

    for (let rank = 0; rank < 4; rank++) {
      const dataPeers = mesh.dataGroupRanks(rank);
      const tensorPeers = mesh.tensorGroupRanks(rank);
      expect(maxRelativeError(results[rank].dataSum, serialSum(dataPeers.map((peer) => gradients[peer])))).toBeLessThan(1e-6);
      expect(maxRelativeError(results[rank].tensorSum, serialSum(tensorPeers.map((peer) => activations[peer])))).toBeLessThan(1e-6);
      expect(maxRelativeError(results[rank].worldSum, serialSum(losses))).toBeLessThan(1e-6);
    }
  });

  it('keep back-to-back collectives on one group apart', async () => {
    const inputs = [0, 1, 2, 3].map((rank) => randomValues(30 + rank, 9));
    const results = await runOnMemoryMesh(4, async (transport) => {
      const { world } = new DeviceMesh({ dataSize: 2, tensorSize: 2 }).groupsFor(transport);
      // Started in the same order on every rank, not awaited in between.
      return Promise.all([
        allReduce(world, inputs[transport.rank]),
        broadcast(world, inputs[transport.rank], 3),
        allReduce(world, inputs[transport.rank], 'mean'),
      ]);
    });

    const sum = serialSum(inputs);
    for (const [summed, broadcasted, mean] of results) {
      expect(maxRelativeError(summed, sum)).toBeLessThan(1e-6);
      expect(bitIdentical(broadcasted, inputs[3])).toBe(true);
      expect(maxRelativeError(mean, sum.map((value) => value / 4))).toBeLessThan(1e-6);
    }
  });

  it('keep two groups over the same ranks apart by name', async () => {
    const first = [randomValues(41, 6), randomValues(42, 6)];
    const second = [randomValues(43, 6), randomValues(44, 6)];
    const results = await runOnMemoryMesh(2, async (transport) => {
      const groupA = createGroup(transport, [0, 1], { name: 'weights' });
      const groupB = createGroup(transport, [0, 1], { name: 'activations' });
      // Rank 1 starts them in the opposite order; the names still pair them up.
      if (transport.rank === 0) {
        return Promise.all([allReduce(groupA, first[0]), allReduce(groupB, second[0])]);
      }
      const [b, a] = await Promise.all([allReduce(groupB, second[1]), allReduce(groupA, first[1])]);
      return [a, b];
    });

    for (const [a, b] of results) {
      expect(maxRelativeError(a, serialSum(first))).toBeLessThan(1e-6);
      expect(maxRelativeError(b, serialSum(second))).toBeLessThan(1e-6);
    }
  });
});

describe('data parallelism', () => {
  it('mean of shard gradients equals the full-batch gradient within 1e-5', async () => {
    // Gradient of the mean squared error of y = w·x over a batch: (2 / B) Σ (w·x - y) x.
    const featureCount = 5;
    const batchSize = 32;
    const worldSize = 4;
    const weights = randomValues(1, featureCount);
    const inputs = randomValues(2, batchSize * featureCount); // [B, F]
    const targets = randomValues(3, batchSize); // [B]

    const gradientOf = (rowStart: number, rowEnd: number): Float32Array => {
      const gradient = new Float32Array(featureCount);
      for (let row = rowStart; row < rowEnd; row++) {
        let prediction = 0;
        for (let f = 0; f < featureCount; f++) prediction += weights[f] * inputs[row * featureCount + f];
        const error = prediction - targets[row];
        for (let f = 0; f < featureCount; f++) gradient[f] += (2 / (rowEnd - rowStart)) * error * inputs[row * featureCount + f];
      }
      return gradient;
    };

    const rowsPerRank = batchSize / worldSize;
    const results = await runOnMemoryMesh(worldSize, (transport) => {
      const { data } = new DeviceMesh({ dataSize: worldSize, tensorSize: 1 }).groupsFor(transport);
      const start = transport.rank * rowsPerRank;
      return allReduce(data, gradientOf(start, start + rowsPerRank), 'mean');
    });

    const fullBatch = gradientOf(0, batchSize);
    for (const result of results) {
      for (let f = 0; f < featureCount; f++) {
        expect(Math.abs(result[f] - fullBatch[f])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(fullBatch[f])));
      }
    }
  });
});
