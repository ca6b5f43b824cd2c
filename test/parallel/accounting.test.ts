import { describe, expect, it } from 'vitest';
import { CollectiveAccounting, formatAccounting } from '../../src/engine/parallel/accounting';
import { allGather, allReduce, broadcast, reduceScatter } from '../../src/engine/parallel/collectives';
import { createWorldGroup } from '../../src/engine/parallel/group';
import { randomValues, runOnMemoryMesh } from './helpers';

const FLOAT_BYTES = 4;

describe('collective accounting', () => {
  it.each([2, 3, 4])('ring allReduce sends 2(t-1)/t of the tensor bytes on %i ranks', async (worldSize) => {
    const length = 12 * worldSize;
    const snapshots = await runOnMemoryMesh(worldSize, async (transport) => {
      const group = createWorldGroup(transport);
      await allReduce(group, randomValues(transport.rank, length));
      return group.accounting.snapshot();
    });

    const expectedBytes = ((2 * (worldSize - 1)) / worldSize) * length * FLOAT_BYTES;
    for (const snapshot of snapshots) {
      expect(snapshot.byKind['all-reduce'].calls).toBe(1);
      expect(snapshot.byKind['all-reduce'].bytesSent).toBe(expectedBytes);
      expect(snapshot.byKind['all-reduce'].bytesReceived).toBe(expectedBytes);
      expect(snapshot.total.bytesSent).toBe(expectedBytes);
    }
  });

  it('one rank counts a call but sends nothing', async () => {
    const [snapshot] = await runOnMemoryMesh(1, async (transport) => {
      const group = createWorldGroup(transport);
      await allReduce(group, new Float32Array(16));
      return group.accounting.snapshot();
    });

    expect(snapshot.byKind['all-reduce']).toEqual({ calls: 1, bytesSent: 0, bytesReceived: 0 });
  });

  it('counts each kind separately', async () => {
    const worldSize = 4;
    const length = 8;
    const snapshots = await runOnMemoryMesh(worldSize, async (transport) => {
      const group = createWorldGroup(transport);
      const data = randomValues(transport.rank, length);
      await allGather(group, data);
      await reduceScatter(group, data);
      await broadcast(group, data, 0);
      await broadcast(group, data, 0);
      return group.accounting.snapshot();
    });

    const shardBytes = length * FLOAT_BYTES;
    for (const snapshot of snapshots) {
      expect(snapshot.byKind['all-reduce'].calls).toBe(0);
      expect(snapshot.byKind['all-gather']).toEqual({ calls: 1, bytesSent: 3 * shardBytes, bytesReceived: 3 * shardBytes });
      expect(snapshot.byKind['reduce-scatter'].bytesSent).toBe(((worldSize - 1) * shardBytes) / worldSize);
      expect(snapshot.byKind.broadcast.calls).toBe(2);
    }

    // Binomial tree from rank 0 over 4 ranks: 0 sends to 1 and 2, 1 sends to 3.
    expect(snapshots.map((snapshot) => snapshot.byKind.broadcast.bytesSent)).toEqual([4 * shardBytes, 2 * shardBytes, 0, 0]);
    expect(snapshots.map((snapshot) => snapshot.byKind.broadcast.bytesReceived)).toEqual([0, 2 * shardBytes, 2 * shardBytes, 2 * shardBytes]);
  });

  it('reset zeroes the counters and earlier snapshots stay unchanged', () => {
    const accounting = new CollectiveAccounting();
    accounting.recordCall('all-reduce');
    accounting.recordSent('all-reduce', 100);
    const before = accounting.snapshot();

    accounting.reset();
    accounting.recordReceived('broadcast', 8);
    const after = accounting.snapshot();

    expect(before.byKind['all-reduce']).toEqual({ calls: 1, bytesSent: 100, bytesReceived: 0 });
    expect(after.byKind['all-reduce']).toEqual({ calls: 0, bytesSent: 0, bytesReceived: 0 });
    expect(after.total).toEqual({ calls: 0, bytesSent: 0, bytesReceived: 8 });
  });

  it('groups sharing one accounting add up', async () => {
    const snapshots = await runOnMemoryMesh(2, async (transport) => {
      const accounting = new CollectiveAccounting();
      const first = createWorldGroup(transport, { name: 'first', accounting });
      const second = createWorldGroup(transport, { name: 'second', accounting });
      await Promise.all([allReduce(first, new Float32Array(4)), allReduce(second, new Float32Array(4))]);
      return accounting.snapshot();
    });

    for (const snapshot of snapshots) expect(snapshot.byKind['all-reduce']).toEqual({ calls: 2, bytesSent: 32, bytesReceived: 32 });
  });

  it('formatAccounting lists only the kinds that were called', () => {
    const accounting = new CollectiveAccounting();
    expect(formatAccounting(accounting.snapshot())).toBe('no collectives');

    accounting.recordCall('all-reduce');
    accounting.recordSent('all-reduce', 3072);
    accounting.recordReceived('all-reduce', 3072);
    accounting.recordCall('broadcast');
    accounting.recordReceived('broadcast', 512);
    expect(formatAccounting(accounting.snapshot())).toBe(
      'all-reduce 1 call 3072 B sent 3072 B received; broadcast 1 call 0 B sent 512 B received',
    );
  });
});
