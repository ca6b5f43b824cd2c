/**
 * Collective counts, bytes, memory and the timeline of one step under a plan,
 * over an in-process mesh. The Megatron MLP pair costs one all-reduce forward and
 * one backward, or none backward when its input needs no gradient. Sequence
 * parallelism swaps each for an all-gather and a reduce-scatter.
 */

import { describe, expect, it } from 'vitest';
import { createGraphMlpWorkload, type MlpBatch } from '../../src/engine/parallel/mlpWorkload';
import { PlanExecutor, type ParallelWorkload, type StepResult } from '../../src/engine/parallel/executor';
import { createMemoryMesh } from '../../src/engine/parallel/memoryTransport';
import type { ParallelPlan } from '../../src/engine/parallel/plan';
import { callCount } from '../../src/engine/parallel/stepRecorder';
import { createTransformerWorkload, type TokenBatch } from '../../src/engine/parallel/transformerWorkload';
import { MNIST_SHAPES, mnistMlpGraph, momentumSgd, countingTokenBatches, randomMnistBatches, TINY_TRANSFORMER } from './planFixtures';

const BATCH_SIZE = 16;
const mlp = createGraphMlpWorkload(mnistMlpGraph(), MNIST_SHAPES, 7);
const mlpBatch = randomMnistBatches(1, 1, BATCH_SIZE)[0];

/** Runs one step of `plan` on every rank of a memory mesh and returns each rank's result. */
async function stepOnce<Batch>(workload: ParallelWorkload<Batch>, plan: ParallelPlan, batch: Batch, batchSize: number): Promise<StepResult[]> {
  const transports = createMemoryMesh(plan.dataParallel * plan.tensorParallel);
  const executors = transports.map((transport) => new PlanExecutor({ workload, plan, transport, batchSize, createOptimizer: momentumSgd }));
  return Promise.all(executors.map((executor) => executor.step(batch)));
}

function tensorPlan(tensorGroup: string[], changes: Partial<ParallelPlan> = {}): ParallelPlan {
  return { dataParallel: 1, tensorParallel: 2, sequenceParallel: false, tensorGroup, ...changes };
}

describe('MLP collective counts', () => {
  it('column then row: one all-reduce forward and one backward', async () => {
    // fc1 stays replicated, so the input of the column layer fc2 needs a gradient.
    const [result] = await stepOnce(mlp, tensorPlan(['fc2', 'fc3']), mlpBatch, BATCH_SIZE);
    const { forward, backward } = result.report.byPhase;
    expect(callCount(forward, 'all-reduce')).toBe(1);
    expect(callCount(forward)).toBe(1);
    expect(callCount(backward, 'all-reduce')).toBe(1);
    expect(callCount(backward)).toBe(1);
    expect(callCount(result.report.byPhase['gradient-sync'])).toBe(0);
  });

  it('column then row on the input: no backward all-reduce', async () => {
    const [result] = await stepOnce(mlp, tensorPlan(['fc1', 'fc2']), mlpBatch, BATCH_SIZE);
    expect(callCount(result.report.byPhase.forward, 'all-reduce')).toBe(1);
    expect(callCount(result.report.byPhase.backward)).toBe(0);
  });

  it('ring all-reduce sends 2(t − 1)/t of the tensor per device', async () => {
    for (const tensorParallel of [2, 4]) {
      const results = await stepOnce(mlp, tensorPlan(['fc1', 'fc2'], { tensorParallel }), mlpBatch, BATCH_SIZE);
      for (const result of results) {
        const [record] = result.report.collectives;
        expect(record.inputBytes).toBe(BATCH_SIZE * 64 * 4); // fc2's partial output [16, 64] in float32
        expect(record.bytesSent).toBe((2 * (tensorParallel - 1) / tensorParallel) * record.inputBytes);
        expect(record.bytesReceived).toBe(record.bytesSent);
      }
    }
  });

  it('sequence parallelism swaps all-reduces for all-gather and reduce-scatter', async () => {
    const [result] = await stepOnce(mlp, tensorPlan(['fc2', 'fc3'], { sequenceParallel: true }), mlpBatch, BATCH_SIZE);
    const { forward, backward } = result.report.byPhase;
    expect(callCount(forward, 'all-gather')).toBe(1);
    expect(callCount(forward, 'reduce-scatter')).toBe(1);
    expect(callCount(forward, 'all-reduce')).toBe(0);
    expect(callCount(backward, 'all-gather')).toBe(1);
    expect(callCount(backward, 'reduce-scatter')).toBe(1);
    expect(callCount(backward, 'all-reduce')).toBe(0);
  });

  it('sequence parallelism sums replicated gradients once', async () => {
    const [result] = await stepOnce(mlp, tensorPlan(['fc2', 'fc3'], { sequenceParallel: true }), mlpBatch, BATCH_SIZE);
    const sync = result.report.collectives.filter((record) => record.phase === 'gradient-sync');
    expect(sync).toHaveLength(1);
    expect(sync[0].kind).toBe('all-reduce');
    // fc1.weight, fc1.bias and the row layer's bias fc3.bias, as one bucket.
    expect(sync[0].inputBytes).toBe((128 * 784 + 128 + 10) * 4);
  });

  it('sequence parallelism on the input: no backward reduce-scatter', async () => {
    const [result] = await stepOnce(mlp, tensorPlan(['fc1', 'fc2'], { sequenceParallel: true }), mlpBatch, BATCH_SIZE);
    const { forward, backward } = result.report.byPhase;
    expect(callCount(forward, 'all-gather')).toBe(1);
    expect(callCount(forward, 'reduce-scatter')).toBe(1);
    expect(callCount(backward, 'all-gather')).toBe(1);
    expect(callCount(backward, 'reduce-scatter')).toBe(0);
  });

  it('data parallelism all-reduces every gradient in one bucket', async () => {
    const [result] = await stepOnce(mlp, { dataParallel: 2, tensorParallel: 1, sequenceParallel: false, tensorGroup: [] }, mlpBatch, BATCH_SIZE);
    expect(callCount(result.report.byPhase.forward)).toBe(0);
    expect(callCount(result.report.byPhase.backward)).toBe(0);
    const [sync] = result.report.collectives;
    expect(sync.phase).toBe('gradient-sync');
    expect(sync.inputBytes).toBe((784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10) * 4);
  });

  it('reports the same mean loss on every rank', async () => {
    const results = await stepOnce(mlp, { dataParallel: 2, tensorParallel: 2, sequenceParallel: false, tensorGroup: ['fc1', 'fc2'] }, mlpBatch, BATCH_SIZE);
    for (const result of results) expect(result.loss).toBe(results[0].loss);
  });

  it('rejects a batch of another size', async () => {
    const transports = createMemoryMesh(2);
    const executor = new PlanExecutor({ workload: mlp, plan: tensorPlan(['fc1', 'fc2']), transport: transports[0], batchSize: BATCH_SIZE, createOptimizer: momentumSgd });
    const smaller: MlpBatch = { features: mlpBatch.features.subarray(0, 8 * 784), labels: mlpBatch.labels.subarray(0, 8) };
    await expect(executor.step(smaller)).rejects.toThrow('Rank 0 got a batch of 8 samples, but the plan was validated for 16.');
  });
});

describe('transformer collective counts', () => {
  const workload = createTransformerWorkload(TINY_TRANSFORMER, 5, 8);
  const batch: TokenBatch = countingTokenBatches(2, 1, 4, 8)[0];
  const group = ['blocks.0.ln1', 'blocks.0.attn', 'blocks.0.ln2', 'blocks.0.ff.fc1', 'blocks.0.ff.fc2'];

  it('tensor parallelism: two all-reduces forward and two backward per block', async () => {
    const [result] = await stepOnce(workload, tensorPlan(group), batch, 4);
    const { forward, backward } = result.report.byPhase;
    expect(callCount(forward, 'all-reduce')).toBe(2);
    expect(callCount(forward)).toBe(2);
    expect(callCount(backward, 'all-reduce')).toBe(2);
    expect(callCount(backward)).toBe(2);
  });

  it('sequence parallelism: gathers and reduce-scatters in their place', async () => {
    const [result] = await stepOnce(workload, tensorPlan(group, { sequenceParallel: true }), batch, 4);
    const { forward, backward } = result.report.byPhase;
    expect(callCount(forward, 'all-gather')).toBe(2);
    expect(callCount(forward, 'reduce-scatter')).toBe(2);
    expect(callCount(forward, 'all-reduce')).toBe(0);
    expect(callCount(backward, 'all-gather')).toBe(2);
    expect(callCount(backward, 'reduce-scatter')).toBe(2);
    expect(callCount(backward, 'all-reduce')).toBe(0);
    expect(callCount(result.report.byPhase['gradient-sync'], 'all-reduce')).toBe(1);
  });
});

describe('device memory and timeline', () => {
  it('holds half of each sharded weight under tensor parallelism 2', async () => {
    const [sharded] = await stepOnce(mlp, tensorPlan(['fc1', 'fc2']), mlpBatch, BATCH_SIZE);
    const [single] = await stepOnce(mlp, { dataParallel: 1, tensorParallel: 1, sequenceParallel: false, tensorGroup: [] }, mlpBatch, BATCH_SIZE);
    // fc1 column: half its weight and bias; fc2 row: half its weight, whole bias; fc3 replicated.
    const shardedFloats = (784 * 128 + 128) / 2 + (128 * 64) / 2 + 64 + 64 * 10 + 10;
    const singleFloats = 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10;
    expect(sharded.memory.parameterBytes).toBe(shardedFloats * 4);
    expect(single.memory.parameterBytes).toBe(singleFloats * 4);
  });

  it('counts gradients, momentum and activations', async () => {
    const [result] = await stepOnce(mlp, tensorPlan(['fc1', 'fc2']), mlpBatch, BATCH_SIZE);
    expect(result.memory.gradientBytes).toBe(result.memory.parameterBytes);
    expect(result.memory.optimizerStateBytes).toBe(result.memory.parameterBytes);
    expect(result.memory.activationBytes).toBeGreaterThan(BATCH_SIZE * 64 * 4);
  });

  it('lays compute and communication spans end to end', async () => {
    const [result] = await stepOnce(mlp, tensorPlan(['fc2', 'fc3'], { sequenceParallel: true }), mlpBatch, BATCH_SIZE);
    const { timeline, durationMs, computeMs, communicationMs } = result.report;
    for (let i = 1; i < timeline.length; i++) expect(timeline[i].startMs).toBeGreaterThanOrEqual(timeline[i - 1].endMs);
    expect(timeline.filter((span) => span.kind === 'communication')).toHaveLength(result.report.collectives.length);
    expect(computeMs + communicationMs).toBeCloseTo(durationMs, 6);
    expect(timeline.some((span) => span.kind === 'compute' && span.label === 'optimizer')).toBe(true);
  });
});
