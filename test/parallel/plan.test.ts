/** Plan validation and default sharding: invalid plans are rejected with the node and the numbers. */

import { describe, expect, it } from 'vitest';
import { createGraphMlpWorkload } from '../../src/engine/parallel/mlpWorkload';
import { inferSharding, ParallelPlanError, resolvePlan, type ParallelPlan, type PlanModel } from '../../src/engine/parallel/plan';
import { createTransformerWorkload } from '../../src/engine/parallel/transformerWorkload';
import { PlanExecutor } from '../../src/engine/parallel/executor';
import { createMemoryMesh } from '../../src/engine/parallel/memoryTransport';
import { branchingGraph, MNIST_SHAPES, mnistMlpGraph, momentumSgd, TINY_TRANSFORMER } from './planFixtures';

const mlp = createGraphMlpWorkload(mnistMlpGraph(), MNIST_SHAPES, 1);
const transformer = createTransformerWorkload(TINY_TRANSFORMER, 1, 8);
const BLOCK_GROUP = ['blocks.0.ln1', 'blocks.0.attn', 'blocks.0.ln2', 'blocks.0.ff.fc1', 'blocks.0.ff.fc2'];

function plan(changes: Partial<ParallelPlan>): ParallelPlan {
  return { dataParallel: 1, tensorParallel: 2, sequenceParallel: false, tensorGroup: ['fc1', 'fc2'], ...changes };
}

/** Returns the issues of resolving `candidate`, or an empty list when it is valid. */
function issuesOf(candidate: ParallelPlan, model: PlanModel, worldSize: number): string[] {
  try {
    resolvePlan(candidate, model, worldSize);
    return [];
  } catch (error) {
    if (error instanceof ParallelPlanError) return error.issues;
    throw error;
  }
}

describe('inferSharding', () => {
  it('alternates Dense layers column then row', () => {
    const sharding = inferSharding(mlp.describe(16, 1).layers, ['fc1', 'fc2', 'fc3']);
    expect(sharding.get('fc1')).toBe('column');
    expect(sharding.get('fc2')).toBe('row');
    expect(sharding.get('fc3')).toBe('column');
  });

  it('leaves activations without an entry', () => {
    const sharding = inferSharding(mlp.describe(16, 1).layers, ['fc1', 'relu1', 'fc2']);
    expect(sharding.has('relu1')).toBe(false);
  });

  it('splits attention by heads and replicates norms', () => {
    const sharding = inferSharding(transformer.describe(4, 1).layers, BLOCK_GROUP);
    expect(sharding.get('blocks.0.attn')).toBe('heads');
    expect(sharding.get('blocks.0.ln1')).toBe('replicated');
    expect(sharding.get('blocks.0.ff.fc1')).toBe('column');
    expect(sharding.get('blocks.0.ff.fc2')).toBe('row');
  });

  it('restarts the alternation after an explicit setting', () => {
    const sharding = inferSharding(mlp.describe(16, 1).layers, ['fc1', 'fc2', 'fc3'], { fc1: 'replicated' });
    expect(sharding.get('fc2')).toBe('column');
    expect(sharding.get('fc3')).toBe('row');
  });
});

describe('resolvePlan', () => {
  it('accepts the Megatron MLP plan', () => {
    const resolved = resolvePlan(plan({}), mlp.describe(16, 1), 2);
    expect(resolved.resolvedSharding.get('fc1')).toBe('column');
    expect(resolved.gatheredColumns.size).toBe(0);
  });

  it('gathers a column layer that no row layer follows', () => {
    const resolved = resolvePlan(plan({ tensorGroup: ['fc3'] }), mlp.describe(16, 1), 2);
    expect(resolved.gatheredColumns.has('fc3')).toBe(true);
  });

  it('rejects a world size other than data × tensor', () => {
    expect(issuesOf(plan({ dataParallel: 2 }), mlp.describe(16, 2), 3)).toEqual([
      'The plan needs dataParallel 2 × tensorParallel 2 = 4 devices, but the world has 3. Choose sizes whose product is 3.',
    ]);
  });

  it('rejects a batch not divisible by the data size', () => {
    const issues = issuesOf(plan({ dataParallel: 4, tensorParallel: 1, tensorGroup: [] }), mlp.describe(18, 4), 4);
    expect(issues).toEqual(['The batch of 18 samples is not divisible by dataParallel 4. Use a batch size that is a multiple of 4.']);
  });

  it('reports an uneven batch once under sequence parallelism', () => {
    const issues = issuesOf(plan({ dataParallel: 2, sequenceParallel: true }), mlp.describe(15, 2), 4);
    expect(issues).toEqual(['The batch of 15 samples is not divisible by dataParallel 2. Use a batch size that is a multiple of 2.']);
  });

  it('rejects rows per data replica not divisible by the tensor size', () => {
    const issues = issuesOf(plan({ dataParallel: 2, sequenceParallel: true }), mlp.describe(18, 2), 4);
    expect(issues).toEqual([
      'Sequence parallelism splits the rows per data replica (9) over tensorParallel 2, but 9 is not divisible by 2. Make the rows per data replica a multiple of 2.',
    ]);
  });

  it('rejects a row layer without a preceding column split', () => {
    const issues = issuesOf(plan({ sharding: { fc1: 'row' } }), mlp.describe(16, 1), 2);
    expect(issues[0]).toMatch(/^Row-parallel layer "fc1" has no preceding column-parallel layer/);
  });

  it('rejects output features not divisible by the tensor size', () => {
    const issues = issuesOf(plan({ tensorParallel: 4, tensorGroup: ['fc3'] }), mlp.describe(16, 1), 4);
    expect(issues).toEqual([
      'Column-parallel layer "fc3" has 10 output features, which is not divisible by tensorParallel 4. Use a multiple of 4.',
    ]);
  });

  it('rejects input features not divisible by the tensor size', () => {
    const issues = issuesOf(plan({ tensorParallel: 3, tensorGroup: ['fc2', 'fc3'], sharding: { fc2: 'column', fc3: 'row' } }), mlp.describe(18, 1), 3);
    expect(issues).toContain('Column-parallel layer "fc2" has 64 output features, which is not divisible by tensorParallel 3. Use a multiple of 3.');
    expect(issues).toContain('Row-parallel layer "fc3" has 64 input features, which is not divisible by tensorParallel 3. Use a multiple of 3.');
  });

  it('rejects a head count not divisible by the tensor size', () => {
    const issues = issuesOf(plan({ tensorParallel: 3, tensorGroup: ['blocks.0.attn'] }), transformer.describe(3, 1), 3);
    expect(issues).toEqual([
      'Attention layer "blocks.0.attn" has 4 heads, which is not divisible by tensorParallel 3. Use a head count that is a multiple of 3.',
    ]);
  });

  it('rejects sequence parallelism without tensor parallelism', () => {
    const issues = issuesOf(plan({ tensorParallel: 1, sequenceParallel: true, tensorGroup: [] }), mlp.describe(16, 1), 1);
    expect(issues).toEqual([
      'Sequence parallelism needs tensor parallelism, but tensorParallel is 1. Set tensorParallel to 2 or more, or turn sequenceParallel off.',
    ]);
  });

  it('rejects a sequence length not divisible by the tensor size', () => {
    const shortSequences = createTransformerWorkload(TINY_TRANSFORMER, 1, 7);
    const issues = issuesOf(plan({ sequenceParallel: true, tensorGroup: BLOCK_GROUP }), shortSequences.describe(4, 1), 2);
    expect(issues).toEqual([
      'Sequence parallelism splits the sequence length (7) over tensorParallel 2, but 7 is not divisible by 2. Make the sequence length a multiple of 2.',
    ]);
  });

  it('rejects replicated attention under sequence parallelism', () => {
    const issues = issuesOf(plan({ sequenceParallel: true, tensorGroup: ['blocks.0.ff.fc1', 'blocks.0.ff.fc2'] }), transformer.describe(4, 1), 2);
    expect(issues[0]).toMatch(/^Attention layer "blocks.0.attn" is replicated, but sequence parallelism gives it only a slice/);
  });

  it('rejects an unknown layer in the tensor group', () => {
    const issues = issuesOf(plan({ tensorGroup: ['fc9'] }), mlp.describe(16, 1), 2);
    expect(issues[0]).toMatch(/^The tensor group names "fc9", which is not a layer of the model\. Known layers: fc1, relu1, fc2/);
  });

  it('rejects a sharding that does not fit the layer', () => {
    const issues = issuesOf(plan({ sharding: { fc1: 'heads' } }), mlp.describe(16, 1), 2);
    expect(issues).toEqual(['Layer "fc1" is a dense layer and cannot be sharded as "heads". Use "column", "row" or "replicated".']);
  });

  it('rejects a sharding outside the tensor group', () => {
    const issues = issuesOf(plan({ sharding: { fc3: 'column' } }), mlp.describe(16, 1), 2);
    expect(issues).toEqual(['Layer "fc3" has sharding "column" but is not in the tensor group. Add it to tensorGroup or remove its sharding.']);
  });

  it('rejects a device count that is not a positive integer', () => {
    const issues = issuesOf(plan({ tensorParallel: 0 }), mlp.describe(16, 1), 2);
    expect(issues).toEqual(["The plan's tensorParallel is 0, but it must be a positive integer number of devices."]);
  });

  it('rejects a tensor group that is not a list', () => {
    const issues = issuesOf({ ...plan({}), tensorGroup: 'fc1' as unknown as string[] }, mlp.describe(16, 1), 2);
    expect(issues).toEqual(['The plan\'s tensorGroup must be a list of layer ids, got "fc1". Use [] for no tensor-parallel layers.']);
  });

  it('rejects a sequenceParallel that is not a boolean', () => {
    const issues = issuesOf({ ...plan({}), sequenceParallel: 'yes' as unknown as boolean }, mlp.describe(16, 1), 2);
    expect(issues).toEqual(["The plan's sequenceParallel is yes, but it must be true or false."]);
  });

  it('lists every issue in the error message', () => {
    expect(() => resolvePlan(plan({ dataParallel: 3, sharding: { fc1: 'row' } }), mlp.describe(16, 3), 2)).toThrow(
      /The parallel plan is invalid\. Fix these 3 issue\(s\):\n- The plan needs dataParallel 3/,
    );
  });
});

describe('createGraphMlpWorkload', () => {
  it('rejects a graph that branches', () => {
    expect(() => createGraphMlpWorkload(branchingGraph(), MNIST_SHAPES, 1)).toThrow(
      /^Node "(fc1|side)" takes its input from "input" rather than from "(fc1|side)"\. The plan executor runs graphs that form one chain from the Input to the Loss\.$/,
    );
  });

  it('rejects an invalid graph with its issues', () => {
    const graph = mnistMlpGraph();
    graph.edges = graph.edges.filter((edge) => edge.target !== 'fc2');
    expect(() => createGraphMlpWorkload(graph, MNIST_SHAPES, 1)).toThrow(/The graph is invalid, so it cannot be compiled/);
  });
});

describe('PlanExecutor', () => {
  it('rejects an uneven plan', () => {
    const [transport] = createMemoryMesh(3);
    const create = () =>
      new PlanExecutor({
        workload: mlp,
        plan: plan({ tensorParallel: 3, tensorGroup: ['fc2', 'fc3'] }),
        transport,
        batchSize: 16,
        createOptimizer: momentumSgd,
      });
    expect(create).toThrow('Column-parallel layer "fc2" has 64 output features, which is not divisible by tensorParallel 3.');
  });
});
