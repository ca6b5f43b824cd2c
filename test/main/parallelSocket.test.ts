/** The links between device processes: Unix domain sockets and MessagePorts, exercised in one process. */

import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParallelDeviceSettings } from '../../src/shared/device';
import { allReduce } from '../../src/engine/parallel/collectives';
import { createGroup } from '../../src/engine/parallel/group';
import {
  connectSocketMesh,
  createMeshDirectory,
  encodeFrame,
  FrameDecoder,
  removeMeshDirectory,
  type SocketTransport,
} from '../../src/main/devices/socketTransport';
import { connectMeshLinks } from '../../src/main/device/meshLinks';

let directory: string | null = null;
let transports: SocketTransport[] = [];

afterEach(() => {
  for (const transport of transports) transport.close();
  transports = [];
  if (directory !== null) removeMeshDirectory(directory);
  directory = null;
});

async function connectMesh(worldSize: number, receiveTimeoutMs?: number): Promise<SocketTransport[]> {
  directory = createMeshDirectory();
  const mesh = directory;
  transports = await Promise.all(
    Array.from({ length: worldSize }, (_, rank) => connectSocketMesh({ rank, worldSize, directory: mesh, connectTimeoutMs: 5000, receiveTimeoutMs })),
  );
  return transports;
}

describe('FrameDecoder', () => {
  it('reassembles frames cut at every byte', () => {
    const payload = Float32Array.from({ length: 5 }, (_, index) => index * 1.5);
    const bytes = Buffer.concat([encodeFrame('grad', payload), encodeFrame('loss', Float32Array.of(-2))]);
    const frames: Array<[string, number[]]> = [];
    const decoder = new FrameDecoder((tag, data) => frames.push([tag, [...data]]));

    for (let offset = 0; offset < bytes.length; offset++) decoder.push(bytes.subarray(offset, offset + 1));

    expect(frames).toEqual([
      ['grad', [0, 1.5, 3, 4.5, 6]],
      ['loss', [-2]],
    ]);
  });

  it('rejects a payload of partial floats', () => {
    const frame = Buffer.alloc(4 + 2 + 1 + 3);
    frame.writeUInt32LE(6, 0);
    frame.writeUInt16LE(1, 4);
    const decoder = new FrameDecoder(() => {});

    expect(() => decoder.push(frame)).toThrow(/not a whole number of float32 values/);
  });
});

describe('connectSocketMesh', () => {
  it('all-reduces over three devices', async () => {
    const mesh = await connectMesh(3);

    const sums = await Promise.all(
      mesh.map((transport) => allReduce(createGroup(transport, [0, 1, 2], { name: 'world' }), Float32Array.of(transport.rank, 10 * transport.rank))),
    );

    for (const sum of sums) expect([...sum]).toEqual([3, 30]);
  });

  it('carries a large tensor intact', async () => {
    const [first, second] = await connectMesh(2);
    const large = Float32Array.from({ length: 300_000 }, (_, index) => Math.sin(index));

    first.send(1, 'weights', large);
    const received = await second.receive(0, 'weights');

    expect(received.length).toBe(large.length);
    expect(received.every((value, index) => value === large[index])).toBe(true);
  });

  it('times out naming the silent device', async () => {
    const [, second] = await connectMesh(2, 50);

    await expect(second.receive(0, 'grad')).rejects.toThrow("Device 1 timed out after 50 ms waiting for 'grad' from device 0");
  });

  it('fails a receive when the peer closes', async () => {
    const [first, second] = await connectMesh(2);
    const waiting = second.receive(0, 'grad', null);

    first.close();

    await expect(waiting).rejects.toThrow('device 0 has stopped or crashed');
  });
});

describe('connectMeshLinks over message ports', () => {
  const settings: ParallelDeviceSettings = {
    worldSize: 2,
    dataParallel: 2,
    tensorParallel: 1,
    sequenceParallel: false,
    tensorGroup: [],
    sharding: {},
    mesh: { kind: 'message-ports' },
    receiveTimeoutMs: 50,
    link: { preset: 'nvlink' },
  };

  it('links two devices and times out tensor receives', async () => {
    const { port1, port2 } = new MessageChannel();
    const [first, second] = await Promise.all([
      connectMeshLinks(0, settings, () => Promise.resolve({ peers: [1], ports: [port1] })),
      connectMeshLinks(1, settings, () => Promise.resolve({ peers: [0], ports: [port2] })),
    ]);

    first.control.send(1, 'control', Float32Array.of(3));
    const control = await second.control.receive(0, 'control', null);
    const silent = second.tensors.receive(0, 'grad');

    expect([...control]).toEqual([3]);
    await expect(silent).rejects.toThrow("Device 1 timed out after 50 ms waiting for 'grad' from device 0");
    first.close();
    second.close();
  });
});
