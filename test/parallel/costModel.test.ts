/** The cost model: ring formulas per collective, link presets and the estimated step timeline. */

import { describe, expect, it } from 'vitest';
import { collectiveSteps, estimateCollectiveMs, estimateStep, LINK_PRESETS, withLink } from '../../src/engine/parallel/costModel';
import { createGraphMlpWorkload } from '../../src/engine/parallel/mlpWorkload';
import { PlanExecutor } from '../../src/engine/parallel/executor';
import { createMemoryMesh } from '../../src/engine/parallel/memoryTransport';
import type { CollectiveRecord } from '../../src/engine/parallel/stepRecorder';
import { MNIST_SHAPES, mnistMlpGraph, momentumSgd, randomMnistBatches } from './planFixtures';

function record(changes: Partial<CollectiveRecord>): CollectiveRecord {
  return {
    phase: 'forward',
    kind: 'all-reduce',
    groupName: 'tensor[data=0]',
    groupSize: 4,
    inputBytes: 4096,
    bytesSent: 6144,
    bytesReceived: 6144,
    startMs: 0,
    endMs: 1,
    ...changes,
  };
}

describe('cost model', () => {
  it('counts ring steps per collective kind', () => {
    expect(collectiveSteps({ kind: 'all-reduce', groupSize: 4 })).toBe(6);
    expect(collectiveSteps({ kind: 'all-gather', groupSize: 4 })).toBe(3);
    expect(collectiveSteps({ kind: 'reduce-scatter', groupSize: 4 })).toBe(3);
    expect(collectiveSteps({ kind: 'broadcast', groupSize: 5 })).toBe(3);
    expect(collectiveSteps({ kind: 'all-reduce', groupSize: 1 })).toBe(0);
  });

  it('adds latency per step and bytes over bandwidth', () => {
    const link = { name: 'test link', bandwidthBytesPerSecond: 1e9, latencyMs: 0.01 };
    // 6 steps × 0.01 ms + 6144 B / 1e9 B/s = 0.06 ms + 0.006144 ms.
    expect(estimateCollectiveMs(record({}), link)).toBeCloseTo(0.066144, 9);
  });

  it('charges a broadcast the whole buffer per tree level', () => {
    const link = { name: 'test link', bandwidthBytesPerSecond: 1e9, latencyMs: 0 };
    expect(estimateCollectiveMs(record({ kind: 'broadcast', groupSize: 4, inputBytes: 1000 }), link)).toBeCloseTo(0.002, 9);
  });

  it('orders the presets by bandwidth', () => {
    const { nvlink, pcie4x16, ethernet100g } = LINK_PRESETS;
    expect(nvlink.bandwidthBytesPerSecond).toBeGreaterThan(pcie4x16.bandwidthBytesPerSecond);
    expect(pcie4x16.bandwidthBytesPerSecond).toBeGreaterThan(ethernet100g.bandwidthBytesPerSecond);
  });

  it('edits a preset', () => {
    const slower = withLink(LINK_PRESETS.pcie4x16, { bandwidthBytesPerSecond: 12e9 });
    expect(slower.bandwidthBytesPerSecond).toBe(12e9);
    expect(slower.latencyMs).toBe(LINK_PRESETS.pcie4x16.latencyMs);
  });

  it('rejects a link without bandwidth', () => {
    expect(() => withLink(LINK_PRESETS.nvlink, { bandwidthBytesPerSecond: 0 })).toThrow(
      'Link "NVLink" has bandwidth 0 B/s: use a positive finite number of bytes per second.',
    );
  });

  it('rejects a negative latency', () => {
    expect(() => withLink(LINK_PRESETS.nvlink, { latencyMs: -1 })).toThrow('Link "NVLink" has latency -1 ms: use a non-negative finite number of milliseconds.');
  });

  it('estimates a measured step on each link', async () => {
    const workload = createGraphMlpWorkload(mnistMlpGraph(), MNIST_SHAPES, 7);
    const batch = randomMnistBatches(1, 1, 16)[0];
    const plan = { dataParallel: 2, tensorParallel: 2, sequenceParallel: false, tensorGroup: ['fc1', 'fc2'] };
    const executors = createMemoryMesh(4).map((transport) => new PlanExecutor({ workload, plan, transport, batchSize: 16, createOptimizer: momentumSgd }));
    const [result] = await Promise.all(executors.map((executor) => executor.step(batch)));

    const estimates = Object.values(LINK_PRESETS).map((link) => estimateStep(result.report, link));
    for (const estimate of estimates) {
      expect(estimate.computeMs).toBe(result.report.computeMs);
      expect(estimate.stepMs).toBeCloseTo(estimate.computeMs + estimate.communicationMs, 9);
      const last = estimate.timeline[estimate.timeline.length - 1];
      expect(last.endMs).toBeCloseTo(estimate.stepMs, 9);
    }
    expect(estimates[0].communicationMs).toBeLessThan(estimates[1].communicationMs);
    expect(estimates[1].communicationMs).toBeLessThan(estimates[2].communicationMs);
  });
});
