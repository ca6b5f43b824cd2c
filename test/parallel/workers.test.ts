/**
 * Collectives between real worker threads: each device runs in its own Worker,
 * and every pair of devices is connected directly by a MessageChannel, as the
 * device pool connects device processes.
 */

import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DeviceMesh } from '../../src/engine/parallel/mesh';
import {
  WORKER_VECTOR_LENGTH,
  workerMatrix,
  workerVector,
  type DeviceWorkerData,
  type DeviceWorkerResult,
} from './deviceWorker';
import { bitIdentical, maxRelativeError, serialSum } from './helpers';

const WORKER_FILE = new URL('./deviceWorker.ts', import.meta.url).href;

// Worker threads do not inherit the test runner's TypeScript support, so each worker
// registers tsx before it imports the device file. The promise chain, unlike top-level
// await, also runs where Node compiles eval code as CommonJS. A failed import rejects
// unhandled, which ends the worker with an 'error' event.
const BOOTSTRAP = `
import('tsx/esm/api').then(({ register }) => {
  register();
  return import(${JSON.stringify(WORKER_FILE)});
});
`;

/** Starts one worker per rank, connected pairwise by MessageChannels, and returns their results by rank. */
async function runWorkers(
  mesh: DeviceMesh,
  scenarioOf: (rank: number) => DeviceWorkerData['scenario'],
): Promise<DeviceWorkerResult[]> {
  const worldSize = mesh.worldSize;
  const ports: Array<Array<MessagePort | null>> = Array.from({ length: worldSize }, () => new Array(worldSize).fill(null));
  for (let a = 0; a < worldSize; a++) {
    for (let b = a + 1; b < worldSize; b++) {
      const channel = new MessageChannel();
      ports[a][b] = channel.port1;
      ports[b][a] = channel.port2;
    }
  }

  const runs = ports.map((rankPorts, rank) => {
    const data: DeviceWorkerData = {
      rank,
      dataSize: mesh.dataSize,
      tensorSize: mesh.tensorSize,
      scenario: scenarioOf(rank),
      ports: rankPorts,
    };
    const transferList = rankPorts.filter((port): port is MessagePort => port !== null);
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data, transferList });
    return new Promise<DeviceWorkerResult>((resolve, reject) => {
      let result: DeviceWorkerResult | null = null;
      worker.on('message', (message: DeviceWorkerResult) => {
        result = message;
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (result !== null) resolve(result);
        else reject(new Error(`Device worker ${rank} exited with code ${code} before posting a result.`));
      });
    });
  });
  return Promise.all(runs);
}

function expectDone(result: DeviceWorkerResult): Extract<DeviceWorkerResult, { kind: 'done' }> {
  if (result.kind !== 'done') throw new Error(`Device worker ${result.rank} did not finish: ${JSON.stringify(result)}`);
  return result;
}

describe.each([
  { dataSize: 1, tensorSize: 2 },
  { dataSize: 2, tensorSize: 2 },
])('worker devices on a $dataSize×$tensorSize mesh', (shape) => {
  const mesh = new DeviceMesh(shape);
  const worldSize = mesh.worldSize;

  it('match the serial results', async () => {
    const results = (await runWorkers(mesh, () => 'run')).map(expectDone);

    const vectors = Array.from({ length: worldSize }, (_, rank) => workerVector(rank));
    const worldExpected = serialSum(vectors);
    for (const result of results) {
      const dataPeers = mesh.dataGroupRanks(result.rank);
      const dataExpected = serialSum(dataPeers.map((peer) => vectors[peer])).map((value) => value / dataPeers.length);
      const { dataIndex } = mesh.coordinatesOf(result.rank);

      expect(maxRelativeError(result.worldSum, worldExpected)).toBeLessThan(1e-6);
      expect(bitIdentical(result.worldSum, results[0].worldSum)).toBe(true);
      expect(maxRelativeError(result.dataMean, dataExpected)).toBeLessThan(1e-6);
      expect(bitIdentical(result.tensorGathered, workerMatrix(dataIndex))).toBe(true);
    }
  });

  it('send 2(t-1)/t of the tensor bytes per all-reduce', async () => {
    const results = (await runWorkers(mesh, () => 'run')).map(expectDone);

    const expectedBytes = ((2 * (worldSize - 1)) / worldSize) * WORKER_VECTOR_LENGTH * 4;
    for (const result of results) expect(result.allReduceBytesSent).toBe(expectedBytes);
  });
});

describe('worker devices', () => {
  it('report a peer that closes its ports mid-run', async () => {
    const mesh = new DeviceMesh({ dataSize: 1, tensorSize: 2 });
    const [staying, leaving] = await runWorkers(mesh, (rank) => (rank === 1 ? 'leave' : 'run'));

    expect(leaving.kind).toBe('left');
    expect(staying).toEqual({
      rank: 0,
      kind: 'failed',
      message: 'The port between rank 0 and rank 1 closed, so no more messages can arrive from rank 1.',
    });
  });
});
