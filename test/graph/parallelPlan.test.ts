/** The parallel plan on a graph: DeviceMesh and TensorParallelGroup nodes, overrides, validation messages. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ParallelStepReport } from '../../src/shared/api';
import type { GraphNode, ProjectFile, ProjectGraph, ProjectIssue } from '../../src/shared/project';
import { compileGraph } from '../../src/engine/graph/compile';
import { parallelViewOf } from '../../src/engine/graph/parallelView';
import { validateGraph } from '../../src/engine/graph/validate';
import { parseProject, serializeProject } from '../../src/engine/io/project';
import { describeGraphSharding, planFromGraph, readTransformerGraph } from '../../src/engine/parallel/graphPlan';
import { estimateReportedStep } from '../../src/engine/parallel/reportEstimate';
import { Rng } from '../../src/engine/tensor/random';

const MNIST = { featureShape: [784], classCount: 10 };
const examples = join(__dirname, '../../resources/examples');

function loadExample(name: string): ProjectFile {
  const parsed = parseProject(readFileSync(join(examples, name), 'utf8'), name);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.project;
}

/** The MNIST MLP (fc1 128, fc2 64, fc3 10) with a mesh and the given group members and node changes. */
function mlp(mesh: Record<string, number | boolean>, members: string[], changes: Record<string, Partial<GraphNode>> = {}): ProjectGraph {
  const graph = structuredClone(loadExample('mnist-mlp.json').graph);
  graph.nodes = graph.nodes.map((node) => ({ ...node, ...(members.includes(node.id) ? { parentId: 'group' } : {}), ...(changes[node.id] ?? {}) }));
  graph.nodes.push(
    { id: 'mesh', type: 'DeviceMesh', position: { x: 0, y: 0 }, params: { dataParallel: 1, tensorParallel: 1, sequenceParallel: false, ...mesh } },
    { id: 'group', type: 'TensorParallelGroup', position: { x: 0, y: 0 }, params: {} },
  );
  return graph;
}

function issuesOf(graph: ProjectGraph, batchSize?: number): ProjectIssue[] {
  return validateGraph(graph, MNIST, undefined, batchSize === undefined ? {} : { batchSize }).issues;
}

describe('planFromGraph', () => {
  it('reads the mesh and the group', () => {
    const plan = planFromGraph(mlp({ dataParallel: 2, tensorParallel: 2 }, ['fc1', 'relu1', 'fc2'], { fc2: { sharding: 'row' } }));

    expect(plan).toEqual({ dataParallel: 2, tensorParallel: 2, sequenceParallel: false, tensorGroup: ['fc1', 'relu1', 'fc2'], sharding: { fc2: 'row' } });
  });

  it('returns null without a mesh', () => {
    expect(planFromGraph(loadExample('mnist-mlp.json').graph)).toBeNull();
  });

  it('expands a transformer block into its layers', () => {
    const plan = planFromGraph(loadExample('transformer-tp2-sp.json').graph);

    expect(plan?.tensorGroup).toEqual(['blocks.0.attn', 'blocks.0.ff.fc1', 'blocks.0.ff.fc2']);
    expect(plan?.sequenceParallel).toBe(true);
  });

  it('maps transformer parameter names to graph names', () => {
    const transformer = readTransformerGraph(loadExample('transformer-tp2-sp.json').graph);

    expect(transformer.ok).toBe(true);
    if (!transformer.ok) return;
    expect(transformer.value.toGraphName('blocks.0.attn.w_o.weight')).toBe('block1.attn.w_o.weight');
    expect(transformer.value.toGraphName('token_embedding.weight')).toBe('embed.weight');
    expect(transformer.value.config.headCount).toBe(4);
  });
});

describe('plan validation on nodes', () => {
  it('accepts every example plan', () => {
    for (const name of ['mnist-mlp-dp2.json', 'mnist-mlp-tp2.json', 'mnist-mlp-dp2-tp2.json']) {
      const project = loadExample(name);
      expect(issuesOf(project.graph, project.training.batchSize)).toEqual([]);
    }
  });

  it('compiles a graph with plan nodes', () => {
    const model = compileGraph(loadExample('mnist-mlp-tp2.json').graph, MNIST, new Rng(1));

    expect([...model.parameters.keys()]).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight', 'fc3.bias', 'fc3.weight']);
  });

  it('rejects a row layer without a column split', () => {
    const issues = issuesOf(mlp({ tensorParallel: 2 }, ['fc1', 'relu1', 'fc2'], { fc1: { sharding: 'row' } }));

    expect(issues).toHaveLength(1);
    expect(issues[0].nodeId).toBe('fc1');
    expect(issues[0].message).toContain('Row-parallel layer "fc1" has no preceding column-parallel layer');
  });

  it('rejects a dimension that does not divide', () => {
    const issues = issuesOf(mlp({ tensorParallel: 3 }, ['fc1', 'relu1', 'fc2']));

    expect(issues.map((issue) => issue.nodeId)).toEqual(['fc1', 'fc2']);
    expect(issues[0].message).toContain('Column-parallel layer "fc1" has 128 output features, which is not divisible by tensorParallel 3');
  });

  it('rejects a batch that does not divide over the data size', () => {
    const issues = issuesOf(mlp({ dataParallel: 3 }, []), 64);

    expect(issues.map((issue) => issue.nodeId ?? issue.path)).toEqual(['mesh', 'training.batchSize']);
    expect(issues[0].message).toContain('The batch of 64 samples is not divisible by dataParallel 3');
  });

  it('skips the batch check without a batch size', () => {
    expect(issuesOf(mlp({ dataParallel: 3 }, []))).toEqual([]);
  });

  it('rejects sequence parallel without tensor parallel', () => {
    const issues = issuesOf(mlp({ dataParallel: 2, sequenceParallel: true }, []), 64);

    expect(issues).toHaveLength(1);
    expect(issues[0].nodeId).toBe('mesh');
    expect(issues[0].message).toContain('Sequence parallelism needs tensor parallelism');
  });

  it('rejects a head count that does not divide', () => {
    const project = loadExample('transformer-tp2-sp.json');
    const graph = structuredClone(project.graph);
    graph.nodes.find((node) => node.id === 'mesh')!.params.tensorParallel = 3;
    const shapes = { featureShape: [], classCount: 0, task: 'language-model' as const, vocabularySize: 20 };

    const issues = validateGraph(graph, shapes, undefined, { batchSize: 3 }).issues;

    expect(issues.some((issue) => issue.nodeId === 'block1' && issue.message.includes('has 4 heads, which is not divisible by tensorParallel 3'))).toBe(true);
  });

  it('rejects an override invalid for the node type', () => {
    const issues = issuesOf(mlp({ tensorParallel: 2 }, ['fc1', 'relu1', 'fc2'], { relu1: { sharding: 'column' } }));

    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ nodeId: 'relu1', path: 'graph.nodes[2].sharding' });
    expect(issues[0].message).toBe('ReLU node "relu1" cannot be sharded as "column". Use "replicated".');
  });

  it('rejects an override outside a group', () => {
    const issues = issuesOf(mlp({ tensorParallel: 2 }, [], { fc1: { sharding: 'column' } }));

    expect(issues[0].message).toContain('is in no tensor-parallel group');
  });

  it('rejects a second mesh and an unknown parent', () => {
    const graph = mlp({}, [], { fc3: { parentId: 'nowhere' } });
    graph.nodes.push({ id: 'mesh2', type: 'DeviceMesh', position: { x: 0, y: 0 }, params: {} });

    const issues = issuesOf(graph);

    expect(issues.map((issue) => issue.nodeId)).toEqual(['mesh2', 'fc3']);
    expect(issues[1].message).toBe('Node "fc3" sits in "nowhere", which does not exist. Move it into a TensorParallelGroup node or out of any group.');
  });

  it('rejects a group without a mesh', () => {
    const graph = mlp({}, ['fc1']);
    graph.nodes = graph.nodes.filter((node) => node.id !== 'mesh');

    expect(issuesOf(graph)[0]).toMatchObject({ nodeId: 'group' });
  });
});

describe('describeGraphSharding', () => {
  it('colours split layers by device', () => {
    const graph = loadExample('mnist-mlp-tp2.json').graph;

    const views = describeGraphSharding(graph, new Map([['fc1', 'column'], ['fc2', 'row']]));

    expect(views.find((view) => view.nodeId === 'fc1')).toEqual({ nodeId: 'fc1', sharding: 'column', groupId: 'tp-group', deviceParts: [0, 1], weightShare: 0.5 });
    expect(views.find((view) => view.nodeId === 'fc3')).toMatchObject({ sharding: 'replicated', groupId: null, deviceParts: [0] });
  });
});

describe('project files with plans', () => {
  it('keeps parentId and sharding through a save', () => {
    const project = loadExample('mnist-mlp-tp2.json');
    project.graph.nodes.find((node) => node.id === 'fc1')!.sharding = 'column';

    const reparsed = parseProject(serializeProject(project), 'saved.json');

    expect(reparsed.ok).toBe(true);
    if (!reparsed.ok) return;
    const fc1 = reparsed.project.graph.nodes.find((node) => node.id === 'fc1');
    expect(fc1?.parentId).toBe('tp-group');
    expect(fc1?.sharding).toBe('column');
  });

  it('names an unknown sharding value', () => {
    const project = JSON.parse(readFileSync(join(examples, 'mnist-mlp-tp2.json'), 'utf8')) as ProjectFile;
    (project.graph.nodes[1] as unknown as Record<string, unknown>).sharding = 'diagonal';

    const parsed = parseProject(JSON.stringify(project), 'bad.json');

    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues[0].path).toBe('graph.nodes[1].sharding');
    expect(parsed.issues[0].message).toContain('must be one of column, row, heads, replicated, got');
  });

  it('loads a file without plan fields', () => {
    const parsed = parseProject(readFileSync(join(examples, 'mnist-mlp.json'), 'utf8'), 'mnist-mlp.json');

    expect(parsed.ok).toBe(true);
  });
});

describe('parallelViewOf', () => {
  it('resolves the default sharding', () => {
    const view = parallelViewOf(loadExample('mnist-mlp-dp2-tp2.json').graph, MNIST);

    expect(view.deviceCount).toBe(4);
    expect(view.nodes.find((node) => node.nodeId === 'fc1')?.sharding).toBe('column');
    expect(view.nodes.find((node) => node.nodeId === 'fc2')?.sharding).toBe('row');
    expect(view.nodes.find((node) => node.nodeId === 'fc3')?.sharding).toBe('replicated');
    expect(view.nodes.some((node) => node.nodeId === 'mesh')).toBe(false);
  });

  it('shows one device without a mesh', () => {
    expect(parallelViewOf(loadExample('mnist-mlp.json').graph, MNIST).deviceCount).toBe(1);
  });
});

describe('estimateReportedStep', () => {
  const report: ParallelStepReport = {
    step: 1,
    deviceIndex: 0,
    dataIndex: 0,
    tensorIndex: 0,
    collectives: {
      'all-reduce': { calls: 1, bytesSent: 1000, bytesReceived: 1000 },
      'all-gather': { calls: 0, bytesSent: 0, bytesReceived: 0 },
      'reduce-scatter': { calls: 0, bytesSent: 0, bytesReceived: 0 },
      broadcast: { calls: 0, bytesSent: 0, bytesReceived: 0 },
    },
    collectivesByPhase: {},
    memory: { parameterBytes: 0, gradientBytes: 0, optimizerStateBytes: 0, activationBytes: 0 },
    timeline: [
      { kind: 'compute', label: 'forward', startMs: 0, endMs: 2 },
      { kind: 'communication', label: 'all-reduce data[tensor=0]', startMs: 2, endMs: 5 },
    ],
    collectiveCalls: [
      { phase: 'gradient-sync', kind: 'all-reduce', groupName: 'data[tensor=0]', groupSize: 2, inputBytes: 1000, bytesSent: 1000, bytesReceived: 1000, startMs: 2, endMs: 5 },
    ],
    computeMs: 2,
    communicationMs: 3,
    estimate: { linkName: '', bandwidthBytesPerSecond: 1, latencyMs: 0, computeMs: 0, communicationMs: 0, stepMs: 0, timeline: [] },
  };

  it('prices a custom link', () => {
    const estimate = estimateReportedStep(report, { preset: 'custom', bandwidthBytesPerSecond: 1e6, latencyMs: 1 });

    // A ring all-reduce over 2 devices takes 2 steps of 1 ms latency, plus 1000 B at 1 MB/s.
    expect(estimate.communicationMs).toBeCloseTo(3, 9);
    expect(estimate.stepMs).toBeCloseTo(5, 9);
  });

  it('rejects a custom link without numbers', () => {
    expect(() => estimateReportedStep(report, { preset: 'custom' })).toThrow(/bandwidth NaN B\/s/);
  });
});
