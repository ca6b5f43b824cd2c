/**
 * Every plan gives the numbers of one device: ten training steps on the MNIST MLP
 * (784-128-64-10, real digits) and on a one-block language model, from the same
 * seed and batches, under data, tensor, data × tensor and sequence parallelism.
 *
 * The relative difference of a parameter is max |plan − one device| divided by the
 * largest magnitude of the one-device tensor (at least 1e-6); of a loss, the
 * difference divided by the one-device loss. The two runs sum in different
 * orders (ring all-reduce, split matrix products), so they agree to float32
 * rounding rather than bit for bit.
 */

import { describe, expect, it } from 'vitest';
import { Adam } from '../../src/engine/optim/adam';
import { PlanExecutor, type GatheredParameter, type ParallelWorkload } from '../../src/engine/parallel/executor';
import { createMemoryMesh } from '../../src/engine/parallel/memoryTransport';
import { createGraphMlpWorkload } from '../../src/engine/parallel/mlpWorkload';
import { checkAgainstOneDevice, type OneDeviceComparison } from '../../src/engine/parallel/oneDeviceCheck';
import type { ParallelPlan } from '../../src/engine/parallel/plan';
import { createTransformerWorkload } from '../../src/engine/parallel/transformerWorkload';
import type { Tensor } from '../../src/engine/tensor/tensor';
import { bitIdentical } from './helpers';
import { countingTokenBatches, MNIST_SHAPES, mnistBatches, mnistMlpGraph, momentumSgd, softmaxGraph, TINY_TRANSFORMER } from './planFixtures';

const TOLERANCE = 1e-5;
const STEPS = 10;

const MLP_PLANS: Array<[string, ParallelPlan]> = [
  ['data parallel 2', { dataParallel: 2, tensorParallel: 1, sequenceParallel: false, tensorGroup: [] }],
  ['tensor parallel 2', { dataParallel: 1, tensorParallel: 2, sequenceParallel: false, tensorGroup: ['fc1', 'relu1', 'fc2', 'fc3'] }],
  ['data × tensor 2×2', { dataParallel: 2, tensorParallel: 2, sequenceParallel: false, tensorGroup: ['fc1', 'relu1', 'fc2', 'fc3'] }],
  ['tensor 2 with sequence parallelism', { dataParallel: 1, tensorParallel: 2, sequenceParallel: true, tensorGroup: ['fc1', 'relu1', 'fc2', 'fc3'] }],
  ['tensor 2 + SP after a replicated layer', { dataParallel: 1, tensorParallel: 2, sequenceParallel: true, tensorGroup: ['fc2', 'fc3'] }],
];

const BLOCK_GROUP = ['blocks.0.ln1', 'blocks.0.attn', 'blocks.0.ln2', 'blocks.0.ff.fc1', 'blocks.0.ff.fc2'];

const TRANSFORMER_PLANS: Array<[string, ParallelPlan]> = [
  ['data parallel 2', { dataParallel: 2, tensorParallel: 1, sequenceParallel: false, tensorGroup: [] }],
  ['tensor parallel 2', { dataParallel: 1, tensorParallel: 2, sequenceParallel: false, tensorGroup: BLOCK_GROUP }],
  ['data × tensor 2×2', { dataParallel: 2, tensorParallel: 2, sequenceParallel: false, tensorGroup: BLOCK_GROUP }],
  ['tensor 2 with sequence parallelism', { dataParallel: 1, tensorParallel: 2, sequenceParallel: true, tensorGroup: BLOCK_GROUP }],
  ['data × tensor 2×2 with sequence parallelism', { dataParallel: 2, tensorParallel: 2, sequenceParallel: true, tensorGroup: BLOCK_GROUP }],
];

/** Builds every rank of `plan` over a memory mesh and returns the parameters rank 0 gathers before any step. */
async function gatherInitial<Batch>(workload: ParallelWorkload<Batch>, plan: ParallelPlan, batchSize: number): Promise<Map<string, GatheredParameter>> {
  const executors = createMemoryMesh(plan.dataParallel * plan.tensorParallel).map(
    (transport) => new PlanExecutor({ workload, plan, transport, batchSize, createOptimizer: momentumSgd }),
  );
  const gathered = await Promise.all(executors.map((executor) => executor.gatherParameters()));
  return gathered[0];
}

function expectBitIdentical(reference: Map<string, Tensor>, gathered: Map<string, GatheredParameter>): void {
  expect([...gathered.keys()].sort()).toEqual([...reference.keys()].sort());
  for (const [name, tensor] of reference) {
    expect(gathered.get(name)!.shape, name).toEqual(tensor.shape);
    expect(bitIdentical(gathered.get(name)!.data, tensor.data), name).toBe(true);
  }
}

function expectMatch(comparison: OneDeviceComparison): void {
  expect(comparison.planLosses).toHaveLength(STEPS);
  expect(comparison.maxLossRelative).toBeLessThan(TOLERANCE);
  for (const parameter of comparison.parameters) {
    expect(parameter.relative, parameter.name).toBeLessThan(TOLERANCE);
  }
  // The runs must have trained, or equal parameters would prove nothing.
  expect(comparison.oneDeviceLosses[STEPS - 1]).toBeLessThan(comparison.oneDeviceLosses[0]);
}

describe('MNIST MLP under a plan', () => {
  const workload = createGraphMlpWorkload(mnistMlpGraph(), MNIST_SHAPES, 7);
  const batches = mnistBatches(3, STEPS, 16);

  for (const [name, plan] of MLP_PLANS) {
    it(`matches one device: ${name}`, async () => {
      expectMatch(await checkAgainstOneDevice({ workload, plan, batches, createOptimizer: momentumSgd }));
    });
  }

  it('matches one device with Adam: data × tensor 2×2', async () => {
    const adam = (parameters: Map<string, Tensor>) => new Adam(parameters, { learningRate: 1e-3 });
    expectMatch(await checkAgainstOneDevice({ workload, plan: MLP_PLANS[2][1], batches, createOptimizer: adam }));
  });

  for (const lossKind of ['cross-entropy', 'mse'] as const) {
    it(`matches one device ending in Softmax: ${lossKind}`, async () => {
      const softmaxWorkload = createGraphMlpWorkload(softmaxGraph(lossKind), MNIST_SHAPES, 7);
      const plan: ParallelPlan = { dataParallel: 2, tensorParallel: 2, sequenceParallel: true, tensorGroup: ['hidden', 'tanh', 'logits'] };
      expectMatch(await checkAgainstOneDevice({ workload: softmaxWorkload, plan, batches, createOptimizer: momentumSgd }));
    });
  }

  it('starts from the one-device weights bit for bit', async () => {
    expectBitIdentical(workload.createReference().parameters, await gatherInitial(workload, MLP_PLANS[2][1], 16));
  });

  it('names every one-device parameter', async () => {
    const comparison = await checkAgainstOneDevice({ workload, plan: MLP_PLANS[2][1], batches: batches.slice(0, 1), createOptimizer: momentumSgd });
    expect(comparison.parameters.map((parameter) => parameter.name)).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight', 'fc3.bias', 'fc3.weight']);
  });
});

describe('one-block language model under a plan', () => {
  const workload = createTransformerWorkload(TINY_TRANSFORMER, 5, 8);
  const batches = countingTokenBatches(11, STEPS, 4, 8);

  for (const [name, plan] of TRANSFORMER_PLANS) {
    it(`matches one device: ${name}`, async () => {
      expectMatch(await checkAgainstOneDevice({ workload, plan, batches, createOptimizer: momentumSgd }));
    });
  }

  it('matches one device with untied weights and RMSNorm: tensor 2 with SP', async () => {
    const untied = createTransformerWorkload({ ...TINY_TRANSFORMER, tieWeights: false, norm: 'rms' }, 5, 8);
    expectMatch(await checkAgainstOneDevice({ workload: untied, plan: TRANSFORMER_PLANS[3][1], batches, createOptimizer: momentumSgd }));
  });

  it('matches one device with replicated attention: tensor 2', async () => {
    const plan: ParallelPlan = { ...TRANSFORMER_PLANS[1][1], sharding: { 'blocks.0.attn': 'replicated' } };
    expectMatch(await checkAgainstOneDevice({ workload, plan, batches, createOptimizer: momentumSgd }));
  });

  it('matches one device with a lone column layer: tensor 2 with SP', async () => {
    const plan: ParallelPlan = { ...TRANSFORMER_PLANS[3][1], sharding: { 'blocks.0.ff.fc2': 'replicated' } };
    expectMatch(await checkAgainstOneDevice({ workload, plan, batches, createOptimizer: momentumSgd }));
  });

  it('starts from the one-device weights bit for bit', async () => {
    expectBitIdentical(workload.createReference().parameters, await gatherInitial(workload, TRANSFORMER_PLANS[4][1], 4));
  });

  for (const [name, plan] of [TRANSFORMER_PLANS[0], TRANSFORMER_PLANS[3], TRANSFORMER_PLANS[4]]) {
    it(`matches one device with dropout: ${name}`, async () => {
      const dropping = createTransformerWorkload({ ...TINY_TRANSFORMER, dropout: 0.2 }, 5, 8);
      expectMatch(await checkAgainstOneDevice({ workload: dropping, plan, batches, createOptimizer: momentumSgd }));
    });
  }
});
