import { describe, expect, it } from 'vitest';
import { validateGraph } from '../../src/engine/graph/validate';
import { NodeRegistry } from '../../src/engine/graph/registry';
import { inputNode } from '../../src/engine/graph/nodes/input';
import { lossNode } from '../../src/engine/graph/nodes/loss';
import type { GraphNode, ProjectGraph, ProjectIssue } from '../../src/shared/project';
import { edge, mlpGraph, MNIST_SHAPES, node, POINT_SHAPES } from './fixtures';

function issuesOf(graph: ProjectGraph): ProjectIssue[] {
  return validateGraph(graph, MNIST_SHAPES).issues;
}

function onlyIssue(graph: ProjectGraph): ProjectIssue {
  const issues = issuesOf(graph);
  expect(issues).toHaveLength(1);
  return issues[0];
}

describe('validateGraph on a valid graph', () => {
  const result = validateGraph(mlpGraph(32), MNIST_SHAPES);

  it('reports no issues', () => {
    expect(result.issues).toEqual([]);
  });

  it('infers each node output shape', () => {
    expect(result.nodeShapes.get('input')).toEqual({ features: ['B', 784], labels: ['B'] });
    expect(result.nodeShapes.get('fc1')).toEqual({ output: ['B', 32] });
    expect(result.nodeShapes.get('relu1')).toEqual({ output: ['B', 32] });
    expect(result.nodeShapes.get('fc2')).toEqual({ output: ['B', 10] });
    expect(result.nodeShapes.get('loss')).toEqual({ loss: [] });
  });

  it('infers each edge shape', () => {
    expect(result.edgeShapes.get('input.features->fc1.input')).toEqual(['B', 784]);
    expect(result.edgeShapes.get('input.labels->loss.target')).toEqual(['B']);
    expect(result.edgeShapes.get('fc2.output->loss.prediction')).toEqual(['B', 10]);
  });

  it('flattens image features', () => {
    const image = validateGraph(mlpGraph(), { featureShape: [28, 28], classCount: 10 });
    expect(image.nodeShapes.get('input')!.features).toEqual(['B', 784]);
  });

  it('accepts a Softmax before the Loss', () => {
    const graph = mlpGraph();
    graph.nodes.push(node('softmax', 'Softmax'));
    graph.edges = graph.edges.filter((e) => e.target !== 'loss' || e.targetPort !== 'prediction');
    graph.edges.push(edge('fc2', 'output', 'softmax', 'input'), edge('softmax', 'output', 'loss', 'prediction'));
    expect(issuesOf(graph)).toEqual([]);
  });

  it('does not depend on node order in the file', () => {
    const graph = mlpGraph();
    graph.nodes.reverse();
    expect(issuesOf(graph)).toEqual([]);
  });
});

describe('validateGraph reports', () => {
  it('an unknown node type', () => {
    const graph = mlpGraph();
    graph.nodes[2] = node('relu1', 'Swish');
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('relu1');
    expect(issue.path).toBe('graph.nodes[2].type');
    expect(issue.message).toContain('unknown type "Swish". Known types are Input, TokenInput, Dense, Embedding');
  });

  it('a duplicate node id', () => {
    const graph = mlpGraph();
    graph.nodes.push(node('fc1', 'ReLU'));
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('fc1');
    expect(issue.path).toBe('graph.nodes[5].id');
    expect(issue.message).toBe('Two nodes have the id "fc1" (graph.nodes[1] and graph.nodes[5]). Give each node its own id.');
  });

  it('a duplicate edge id', () => {
    const graph = mlpGraph();
    graph.edges.push({ ...graph.edges[0], id: graph.edges[1].id });
    const issue = onlyIssue(graph);
    expect(issue.path).toBe('graph.edges[5].id');
    expect(issue.nodeId).toBe('fc1');
    expect(issue.message).toContain(`Two edges have the id "${graph.edges[1].id}"`);
  });

  it('an edge from a missing node', () => {
    const graph = mlpGraph();
    graph.edges[2] = edge('ghost', 'output', 'fc2', 'input', 'e-ghost');
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('fc2');
    expect(issue.port).toBe('input');
    expect(issue.path).toBe('graph.edges[2].source');
    expect(issue.message).toBe('Edge "e-ghost" starts at node "ghost", which does not exist. Delete the edge.');
  });

  it('an edge to a missing node', () => {
    const graph = mlpGraph();
    graph.edges.push(edge('fc1', 'output', 'ghost', 'input', 'e-ghost'));
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('fc1');
    expect(issue.port).toBe('output');
    expect(issue.message).toBe('Edge "e-ghost" ends at node "ghost", which does not exist. Delete the edge.');
  });

  it('an edge from a missing output port', () => {
    const graph = mlpGraph();
    graph.edges = graph.edges.filter((e) => e.target !== 'fc1');
    graph.edges.push(edge('input', 'logits', 'fc1', 'input', 'e-bad'));
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('input');
    expect(issue.port).toBe('logits');
    expect(issue.path).toBe('graph.edges[4].sourcePort');
    expect(issue.message).toBe(
      'Edge "e-bad" leaves port "logits" of Input node "input", which has no such output. Its outputs are features, labels.',
    );
  });

  it('an edge into a missing input port', () => {
    const graph = mlpGraph();
    graph.edges.push(edge('fc1', 'output', 'input', 'features', 'e-back'));
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('input');
    expect(issue.port).toBe('features');
    expect(issue.message).toBe('Edge "e-back" enters port "features" of Input node "input", which has no such input. Its inputs are none.');
  });

  it('two edges into one input port', () => {
    const graph = mlpGraph();
    graph.edges.push(edge('input', 'features', 'fc2', 'input', 'e-second'));
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('fc2');
    expect(issue.port).toBe('input');
    expect(issue.message).toBe(
      'Dense node "fc2": input port input has two incoming edges ("relu1.output->fc2.input" and "e-second") but takes one. Delete one of them.',
    );
  });

  it('an edge from an unknown node type only once', () => {
    const graph = mlpGraph();
    graph.nodes[1] = node('fc1', 'Conv2d');
    expect(issuesOf(graph).map((issue) => issue.nodeId)).toEqual(['fc1']);
  });

  it('an unconnected required input port', () => {
    const graph = mlpGraph();
    graph.edges = graph.edges.filter((e) => e.targetPort !== 'target');
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('loss');
    expect(issue.port).toBe('target');
    expect(issue.message).toBe('Loss node "loss": the required input port target is not connected. Connect an edge to it.');
  });

  it('a cycle with its nodes', () => {
    const graph = mlpGraph();
    graph.nodes.push(node('mix', 'Dense', { units: 16 }));
    // fc1 now takes its input from mix, which closes the loop fc1 → relu1 → mix → fc1.
    graph.edges = graph.edges.filter((e) => e.target !== 'fc1');
    graph.edges.push(edge('relu1', 'output', 'mix', 'input'), edge('mix', 'output', 'fc1', 'input'));
    const issue = issuesOf(graph).find((entry) => entry.message.includes('cycle'))!;
    expect(issue.nodeId).toBe('fc1');
    expect(issue.message).toBe(
      'Nodes "fc1" → "relu1" → "mix" → "fc1" form a cycle. Data must flow one way from Input to Loss, so delete one of these edges.',
    );
  });

  it('a self-loop as a cycle', () => {
    const graph = mlpGraph();
    graph.nodes.push(node('echo', 'ReLU'));
    graph.edges.push(edge('echo', 'output', 'echo', 'input'));
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('echo');
    expect(issue.message).toContain('Nodes "echo" → "echo" form a cycle');
  });

  it('each of two separate cycles', () => {
    const graph = mlpGraph();
    graph.nodes.push(node('a', 'ReLU'), node('b', 'ReLU'), node('c', 'Tanh'), node('d', 'Tanh'));
    graph.edges.push(edge('a', 'output', 'b', 'input'), edge('b', 'output', 'a', 'input'));
    graph.edges.push(edge('c', 'output', 'd', 'input'), edge('d', 'output', 'c', 'input'));
    const cycles = issuesOf(graph).filter((issue) => issue.message.includes('cycle'));
    expect(cycles.map((issue) => issue.nodeId)).toEqual(['a', 'c']);
  });

  it('a shape mismatch naming both shapes', () => {
    const graph = mlpGraph(16, 7);
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('loss');
    expect(issue.port).toBe('prediction');
    expect(issue.message).toBe(
      'Loss node "loss", port prediction: receives [B, 7] but the dataset has 10 classes, so it must be [B, 10]. Set the units of the layer feeding it to 10.',
    );
  });

  it('features wired into the loss target', () => {
    const graph = mlpGraph();
    graph.edges = graph.edges.filter((e) => e.targetPort !== 'target');
    graph.edges.push(edge('input', 'features', 'loss', 'target'));
    const issue = onlyIssue(graph);
    expect(issue.port).toBe('target');
    expect(issue.message).toContain("receives [B, 784] but expects the labels [B]. Connect the Input node's labels port here");
  });

  it('labels wired into a Dense layer', () => {
    const graph = mlpGraph();
    graph.edges[0] = edge('input', 'labels', 'fc1', 'input');
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('fc1');
    expect(issue.message).toContain('Dense node "fc1", port input: expects [B, features] or a sequence [B, T, features] but receives [B]');
  });

  it('a graph without a Loss node', () => {
    const graph = mlpGraph();
    graph.nodes = graph.nodes.filter((n) => n.id !== 'loss');
    graph.edges = graph.edges.filter((e) => e.target !== 'loss');
    const issue = onlyIssue(graph);
    expect(issue.path).toBe('graph.nodes');
    expect(issue.message).toBe('The graph has no Loss node. Add one from the palette and connect the last layer and the labels to it.');
  });

  it('a graph without an Input node', () => {
    const graph = mlpGraph();
    graph.nodes = graph.nodes.filter((n) => n.id !== 'input');
    graph.edges = graph.edges.filter((e) => e.source !== 'input');
    expect(issuesOf(graph).map((issue) => issue.message)).toContain(
      'The graph has no Input node. Add one from the palette and connect its features to the first layer.',
    );
  });

  it('a second Loss node', () => {
    const graph = mlpGraph();
    graph.nodes.push(node('loss2', 'Loss'));
    graph.edges.push(edge('fc2', 'output', 'loss2', 'prediction'), edge('input', 'labels', 'loss2', 'target'));
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('loss2');
    expect(issue.message).toBe('The graph has more than one Loss node ("loss" and "loss2"). A graph takes exactly one, so delete "loss2".');
  });

  it('a second Input node', () => {
    const graph = mlpGraph();
    graph.nodes.push(node('input2', 'Input'));
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('input2');
    expect(issue.message).toContain('more than one Input node');
  });

  it('an invalid parameter with its path', () => {
    const graph = mlpGraph();
    graph.nodes[1].params.units = 0;
    const issue = onlyIssue(graph);
    expect(issue.nodeId).toBe('fc1');
    expect(issue.path).toBe('graph.nodes[1].params.units');
    expect(issue.message).toBe('Dense node "fc1", parameter units: must be an integer from 1 to 4096, got 0.');
  });

  it('an unknown loss kind', () => {
    const graph = mlpGraph();
    graph.nodes[4].params.kind = 'hinge';
    expect(onlyIssue(graph).message).toContain('parameter kind: must be one of "cross-entropy", "mse", got "hinge"');
  });
});

describe('validateGraph with another registry', () => {
  it('knows only the types registered there', () => {
    const registry = new NodeRegistry();
    registry.register(inputNode);
    registry.register(lossNode);
    const issue = validateGraph(mlpGraph(), MNIST_SHAPES, registry).issues[0];
    expect(issue.message).toBe(
      'Node "fc1" has the unknown type "Dense". Known types are Input, Loss. Replace or delete the node.',
    );
  });
});

describe('validateGraph on a node without params', () => {
  it('takes every default', () => {
    const graph = mlpGraph();
    delete (graph.nodes[1] as Partial<GraphNode>).params;
    expect(validateGraph(graph, MNIST_SHAPES).nodeShapes.get('fc1')).toEqual({ output: ['B', 64] });
  });
});

describe('validateGraph on an empty graph', () => {
  it('asks for an Input and a Loss', () => {
    expect(issuesOf({ nodes: [], edges: [] })).toHaveLength(2);
  });
});

describe('validateGraph issues', () => {
  it('stay on the node where the problem is, not downstream', () => {
    const graph = mlpGraph();
    graph.nodes[1].params.units = -4;
    const result = validateGraph(graph, MNIST_SHAPES);
    expect(result.issues.map((issue) => issue.nodeId)).toEqual(['fc1']);
    expect(result.nodeShapes.has('relu1')).toBe(false);
  });

  it('each carry a node id except a missing Input or Loss', () => {
    const graph = mlpGraph(8, 3);
    graph.nodes.push(node('x', 'Nope'), node('fc1', 'ReLU'), node('dup', 'Loss'), node('input2', 'Input'));
    graph.edges.push(edge('ghost', 'output', 'fc2', 'input'), edge('relu1', 'nope', 'fc2', 'input'));
    const issues = validateGraph(graph, POINT_SHAPES).issues;
    expect(issues.length).toBeGreaterThan(5);
    for (const issue of issues) expect(issue.nodeId).toBeTypeOf('string');
  });
});

describe('validateGraph speed', () => {
  it('checks a 2,000-node chain in under 50 ms', () => {
    const graph = mlpGraph();
    let previous = 'relu1';
    graph.edges = graph.edges.filter((e) => e.source !== 'relu1');
    for (let i = 0; i < 2000; i++) {
      const id = `act${i}`;
      graph.nodes.push(node(id, i % 2 === 0 ? 'Tanh' : 'ReLU'));
      graph.edges.push(edge(previous, 'output', id, 'input'));
      previous = id;
    }
    graph.edges.push(edge(previous, 'output', 'fc2', 'input'));
    // The best of five runs, so JIT warm-up and other processes on the machine do not decide the result.
    let durationMs = Infinity;
    for (let run = 0; run < 5; run++) {
      const startMs = performance.now();
      expect(validateGraph(graph, MNIST_SHAPES).issues).toEqual([]);
      durationMs = Math.min(durationMs, performance.now() - startMs);
    }
    expect(durationMs).toBeLessThan(50);
  });
});
