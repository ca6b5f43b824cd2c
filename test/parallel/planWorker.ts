/**
 * One simulated device for the plan worker test. It builds a PortTransport from
 * the MessagePorts it was given and runs a few training steps of the MNIST MLP
 * under the plan. Then it posts its losses, its last step's counters and the
 * gathered parameters to the test.
 */

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PlanExecutor } from '../../src/engine/parallel/executor';
import { createGraphMlpWorkload } from '../../src/engine/parallel/mlpWorkload';
import type { ParallelPlan } from '../../src/engine/parallel/plan';
import { PortTransport } from '../../src/engine/parallel/portTransport';
import type { AccountingSnapshot } from '../../src/engine/parallel/accounting';
import { MNIST_SHAPES, mnistMlpGraph, momentumSgd, randomMnistBatches } from './planFixtures';

export interface PlanWorkerData {
  rank: number;
  plan: ParallelPlan;
  ports: Array<MessagePort | null>;
}

export type PlanWorkerResult =
  | { rank: number; kind: 'done'; losses: number[]; forward: AccountingSnapshot; parameters: Record<string, Float32Array> }
  | { rank: number; kind: 'failed'; message: string };

/** Inputs every device (and the test) regenerates from these numbers. */
export const PLAN_WORKER_SEED = 7;
export const PLAN_WORKER_STEPS = 3;
export const PLAN_WORKER_BATCH_SIZE = 16;

export function planWorkerBatches() {
  return randomMnistBatches(4, PLAN_WORKER_STEPS, PLAN_WORKER_BATCH_SIZE);
}

async function runDevice(data: PlanWorkerData): Promise<PlanWorkerResult> {
  // The timeout turns a hung collective into a failure the test can show.
  const transport = new PortTransport(data.rank, data.ports, { receiveTimeoutMs: 20_000 });
  try {
    const workload = createGraphMlpWorkload(mnistMlpGraph(), MNIST_SHAPES, PLAN_WORKER_SEED);
    const executor = new PlanExecutor({
      workload,
      plan: data.plan,
      transport,
      batchSize: PLAN_WORKER_BATCH_SIZE,
      createOptimizer: momentumSgd,
    });
    const losses: number[] = [];
    let forward: AccountingSnapshot | null = null;
    for (const batch of planWorkerBatches()) {
      const result = await executor.step(batch);
      losses.push(result.loss);
      forward = result.report.byPhase.forward;
    }
    const parameters: Record<string, Float32Array> = {};
    for (const [name, parameter] of await executor.gatherParameters()) parameters[name] = parameter.data;
    return { rank: data.rank, kind: 'done', losses, forward: forward!, parameters };
  } catch (error) {
    return { rank: data.rank, kind: 'failed', message: (error as Error).message };
  } finally {
    transport.close();
  }
}

if (parentPort !== null) {
  const port = parentPort;
  void runDevice(workerData as PlanWorkerData).then((result) => port.postMessage(result));
}
