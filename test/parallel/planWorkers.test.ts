/**
 * A plan on real worker threads: each device runs the MNIST MLP in its own Worker,
 * connected pairwise by MessageChannels as the device pool connects device
 * processes, and the result matches one device.
 */

import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createGraphMlpWorkload } from '../../src/engine/parallel/mlpWorkload';
import type { ParallelPlan } from '../../src/engine/parallel/plan';
import { callCount } from '../../src/engine/parallel/stepRecorder';
import { maxRelativeError } from './helpers';
import { MNIST_SHAPES, mnistMlpGraph, momentumSgd } from './planFixtures';
import { PLAN_WORKER_SEED, planWorkerBatches, type PlanWorkerData, type PlanWorkerResult } from './planWorker';

const WORKER_FILE = new URL('./planWorker.ts', import.meta.url).href;

// Worker threads do not inherit the test runner's TypeScript support, so each worker
// registers tsx before it imports the device file.
const BOOTSTRAP = `
import('tsx/esm/api').then(({ register }) => {
  register();
  return import(${JSON.stringify(WORKER_FILE)});
});
`;

async function runPlanWorkers(plan: ParallelPlan): Promise<PlanWorkerResult[]> {
  const worldSize = plan.dataParallel * plan.tensorParallel;
  const ports: Array<Array<MessagePort | null>> = Array.from({ length: worldSize }, () => new Array(worldSize).fill(null));
  for (let a = 0; a < worldSize; a++) {
    for (let b = a + 1; b < worldSize; b++) {
      const channel = new MessageChannel();
      ports[a][b] = channel.port1;
      ports[b][a] = channel.port2;
    }
  }

  return Promise.all(
    ports.map((rankPorts, rank) => {
      const data: PlanWorkerData = { rank, plan, ports: rankPorts };
      const transferList = rankPorts.filter((port): port is MessagePort => port !== null);
      const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data, transferList });
      return new Promise<PlanWorkerResult>((resolve, reject) => {
        let result: PlanWorkerResult | null = null;
        worker.on('message', (message: PlanWorkerResult) => {
          result = message;
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (result !== null) resolve(result);
          else reject(new Error(`Plan worker ${rank} exited with code ${code} before posting a result.`));
        });
      });
    }),
  );
}

describe('plan on worker devices', () => {
  it('matches one device on a 2×2 mesh', async () => {
    const plan: ParallelPlan = { dataParallel: 2, tensorParallel: 2, sequenceParallel: false, tensorGroup: ['fc1', 'relu1', 'fc2'] };
    const results = await runPlanWorkers(plan);

    const reference = createGraphMlpWorkload(mnistMlpGraph(), MNIST_SHAPES, PLAN_WORKER_SEED).createReference();
    const optimizer = momentumSgd(reference.parameters);
    const losses: number[] = [];
    for (const batch of planWorkerBatches()) {
      optimizer.zeroGrad();
      const loss = reference.loss(batch);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }

    for (const result of results) {
      if (result.kind !== 'done') throw new Error(`Plan worker ${result.rank} failed: ${result.message}`);
      expect(maxRelativeError(result.losses, losses)).toBeLessThan(1e-5);
      expect(callCount(result.forward, 'all-reduce')).toBe(1);
      for (const [name, tensor] of reference.parameters) {
        expect(maxRelativeError(result.parameters[name], tensor.data), name).toBeLessThan(1e-5);
      }
    }
  });
});
