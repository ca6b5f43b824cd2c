/**
 * One simulated device for the worker tests: it builds a PortTransport from the
 * MessagePorts it was given, runs collectives on its mesh groups and posts the
 * results to the test.
 */

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { CollectiveAccounting } from '../../src/engine/parallel/accounting';
import { allGather, allReduce, shardAlong } from '../../src/engine/parallel/collectives';
import { DeviceMesh } from '../../src/engine/parallel/mesh';
import { PortTransport } from '../../src/engine/parallel/portTransport';
import { randomValues } from './helpers';

export interface DeviceWorkerData {
  rank: number;
  dataSize: number;
  tensorSize: number;
  /** `run` takes part in every collective; `leave` closes its ports as soon as the first message arrives. */
  scenario: 'run' | 'leave';
  ports: Array<MessagePort | null>;
}

export type DeviceWorkerResult =
  | {
      rank: number;
      kind: 'done';
      worldSum: Float32Array;
      dataMean: Float32Array;
      tensorGathered: Float32Array;
      allReduceBytesSent: number;
    }
  | { rank: number; kind: 'failed'; message: string }
  | { rank: number; kind: 'left' };

/** Inputs every rank (and the test) can regenerate from the rank alone. */
export const WORKER_VECTOR_LENGTH = 24;
export const WORKER_MATRIX_SHAPE = [3, 8];

export function workerVector(rank: number): Float32Array {
  return randomValues(1000 + rank, WORKER_VECTOR_LENGTH);
}

export function workerMatrix(dataIndex: number): Float32Array {
  return randomValues(2000 + dataIndex, WORKER_MATRIX_SHAPE[0] * WORKER_MATRIX_SHAPE[1]);
}

async function runDevice(data: DeviceWorkerData): Promise<DeviceWorkerResult> {
  if (data.scenario === 'leave') {
    // The first message proves that the peer is listening, so it will see the ports close.
    const ports = data.ports.filter((port): port is MessagePort => port !== null);
    await Promise.race(ports.map((port) => new Promise((resolve) => port.once('message', resolve))));
    for (const port of ports) port.close();
    return { rank: data.rank, kind: 'left' };
  }

  // The timeout turns a hung collective into a failure the test can show.
  const transport = new PortTransport(data.rank, data.ports, { receiveTimeoutMs: 20_000 });

  try {
    const mesh = new DeviceMesh({ dataSize: data.dataSize, tensorSize: data.tensorSize });
    const accounting = new CollectiveAccounting();
    const groups = mesh.groupsFor(transport, accounting);
    const { dataIndex, tensorIndex } = mesh.coordinatesOf(data.rank);

    const worldSum = await allReduce(groups.world, workerVector(data.rank));
    const allReduceBytesSent = accounting.snapshot().byKind['all-reduce'].bytesSent;
    const dataMean = await allReduce(groups.data, workerVector(data.rank), 'mean');

    // Each tensor-parallel device holds a column block of its replica's matrix.
    const [rows, columns] = WORKER_MATRIX_SHAPE;
    const shard = shardAlong(workerMatrix(dataIndex), WORKER_MATRIX_SHAPE, 1, data.tensorSize, tensorIndex);
    const tensorGathered = await allGather(groups.tensor, shard, { shape: [rows, columns / data.tensorSize], axis: 1 });

    return { rank: data.rank, kind: 'done', worldSum, dataMean, tensorGathered, allReduceBytesSent };
  } catch (error) {
    return { rank: data.rank, kind: 'failed', message: (error as Error).message };
  } finally {
    transport.close();
  }
}

if (parentPort !== null) {
  const port = parentPort;
  void runDevice(workerData as DeviceWorkerData).then((result) => port.postMessage(result));
}
