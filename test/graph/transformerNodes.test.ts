import { describe, expect, it } from 'vitest';
import { validateGraph } from '../../src/engine/graph/validate';
import type { ProjectGraph } from '../../src/shared/project';
import { edge, MNIST_SHAPES, mlpGraph, node } from './fixtures';
import { gptGraph, TEXT_SHAPES, textShapes } from './textFixtures';

function issuesOf(graph: ProjectGraph, shapes = TEXT_SHAPES) {
  return validateGraph(graph, shapes).issues;
}

function shapesOf(graph: ProjectGraph, shapes = TEXT_SHAPES) {
  return validateGraph(graph, shapes).nodeShapes;
}

/** gptGraph with the node `id` replaced by `replacement` (same id) and no other change. */
function replaceNode(graph: ProjectGraph, id: string, type: string, params: Record<string, number | string | boolean>): ProjectGraph {
  return { ...graph, nodes: graph.nodes.map((entry) => (entry.id === id ? node(id, type, params) : entry)) };
}

describe('transformer node shapes', () => {
  it('accepts the GPT graph before the text is loaded', () => {
    expect(issuesOf(gptGraph())).toEqual([]);
  });

  it('token input gives [B, T] tokens and targets', () => {
    const shapes = shapesOf(gptGraph({ contextLength: 12 }));
    expect(shapes.get('tokens')).toEqual({ tokens: ['B', 12], targets: ['B', 12] });
  });

  it('embedding gives [B, T, width]', () => {
    expect(shapesOf(gptGraph({ contextLength: 12, width: 24 })).get('embed')).toEqual({ output: ['B', 12, 24] });
  });

  it('unembedding uses V until the vocabulary is known', () => {
    expect(shapesOf(gptGraph()).get('unembed')).toEqual({ output: ['B', 8, 'V'] });
  });

  it('unembedding uses the loaded vocabulary size', () => {
    expect(shapesOf(gptGraph(), textShapes(30)).get('unembed')).toEqual({ output: ['B', 8, 30] });
  });

  it('rejects a token input on a classification dataset', () => {
    const issues = issuesOf(gptGraph(), MNIST_SHAPES);
    expect(issues[0].nodeId).toBe('tokens');
    expect(issues[0].message).toContain('TokenInput node "tokens" reads text, but the dataset is a classification dataset');
  });

  it('rejects an Input node on a text dataset', () => {
    const issues = issuesOf(mlpGraph(), TEXT_SHAPES);
    expect(issues[0].nodeId).toBe('input');
    expect(issues[0].message).toContain('Replace it with a Token input node');
  });

  it('rejects a head count that does not divide the width', () => {
    const graph = gptGraph({ width: 30, blockParams: { heads: 4, hiddenWidth: 32 } });
    const [issue] = issuesOf(graph);
    expect(issue.nodeId).toBe('block1');
    expect(issue.message).toContain('TransformerBlock node "block1": 4 heads do not divide the model width 30');
    expect(issue.message).toContain('(1, 2, 3, 5, 6, 10, 15, 30)');
  });

  it('rejects multi-head attention whose heads do not divide the width', () => {
    const graph = replaceNode(gptGraph({ width: 16 }), 'block1', 'MultiHeadAttention', { heads: 3 });
    const [issue] = issuesOf(graph);
    expect(issue.nodeId).toBe('block1');
    expect(issue.message).toContain('MultiHeadAttention node "block1": 3 heads do not divide the model width 16');
  });

  it('attention head gives [B, T, head size]', () => {
    const graph: ProjectGraph = {
      nodes: [node('tokens', 'TokenInput', { contextLength: 5 }), node('embed', 'Embedding', { width: 8 }), node('head', 'AttentionHead', { headSize: 3 })],
      edges: [edge('tokens', 'tokens', 'embed', 'input'), edge('embed', 'output', 'head', 'input')],
    };
    expect(shapesOf(graph).get('head')).toEqual({ output: ['B', 5, 3] });
  });

  it('rejects a sequence layer fed token ids', () => {
    const graph = gptGraph();
    graph.edges = graph.edges.map((entry) => (entry.target === 'block1' ? edge('tokens', 'tokens', 'block1', 'input') : entry));
    const issue = issuesOf(graph).find((entry) => entry.nodeId === 'block1')!;
    expect(issue.message).toContain('TransformerBlock node "block1", port input: expects a sequence of vectors [B, T, C] but receives [B, 8]');
  });

  it('concat joins the last axis', () => {
    const graph: ProjectGraph = {
      nodes: [
        node('tokens', 'TokenInput', { contextLength: 5 }),
        node('embed', 'Embedding', { width: 8 }),
        node('h0', 'AttentionHead', { headSize: 3 }),
        node('h1', 'AttentionHead', { headSize: 5 }),
        node('cat', 'Concat'),
      ],
      edges: [
        edge('tokens', 'tokens', 'embed', 'input'),
        edge('embed', 'output', 'h0', 'input'),
        edge('embed', 'output', 'h1', 'input'),
        edge('h0', 'output', 'cat', 'input1'),
        edge('h1', 'output', 'cat', 'input2'),
      ],
    };
    expect(shapesOf(graph).get('cat')).toEqual({ output: ['B', 5, 8] });
  });

  it('concat rejects inputs that differ before the last axis', () => {
    const graph: ProjectGraph = {
      nodes: [
        node('tokens', 'TokenInput', { contextLength: 5 }),
        node('embed', 'Embedding', { width: 8 }),
        node('cat', 'Concat'),
      ],
      edges: [edge('tokens', 'tokens', 'embed', 'input'), edge('embed', 'output', 'cat', 'input1'), edge('tokens', 'tokens', 'cat', 'input2')],
    };
    const issue = issuesOf(graph).find((entry) => entry.nodeId === 'cat')!;
    expect(issue.port).toBe('input2');
    expect(issue.message).toContain('every axis but the last must match');
  });

  it('residual add rejects different shapes', () => {
    const graph: ProjectGraph = {
      nodes: [
        node('tokens', 'TokenInput', { contextLength: 5 }),
        node('embed', 'Embedding', { width: 8 }),
        node('head', 'AttentionHead', { headSize: 4 }),
        node('add', 'ResidualAdd'),
      ],
      edges: [
        edge('tokens', 'tokens', 'embed', 'input'),
        edge('embed', 'output', 'head', 'input'),
        edge('embed', 'output', 'add', 'a'),
        edge('head', 'output', 'add', 'b'),
      ],
    };
    const issue = issuesOf(graph).find((entry) => entry.nodeId === 'add')!;
    expect(issue.message).toContain('port a receives [B, 5, 8] but port b receives [B, 5, 4]');
  });

  it('dense maps every position of a sequence', () => {
    const graph = gptGraph({ width: 16 });
    graph.nodes.push(node('proj', 'Dense', { units: 7 }));
    graph.edges.push(edge('block1', 'output', 'proj', 'input'));
    expect(shapesOf(graph).get('proj')).toEqual({ output: ['B', 8, 7] });
  });

  it('unembedding rejects a tie to a missing node', () => {
    const graph = replaceNode(gptGraph(), 'unembed', 'Unembedding', { tieTo: 'embedding' });
    const [issue] = issuesOf(graph);
    expect(issue.nodeId).toBe('unembed');
    expect(issue.message).toContain('parameter tieTo: "embedding" must name an Embedding node, but there is no node with that id');
  });

  it('unembedding rejects a tie to another node type', () => {
    const graph = replaceNode(gptGraph(), 'unembed', 'Unembedding', { tieTo: 'ln_f' });
    expect(issuesOf(graph)[0].message).toContain('but that node is a LayerNorm');
  });

  it('unembedding rejects a tie to an embedding of another width', () => {
    const graph = gptGraph({ width: 16 });
    graph.nodes.push(node('embed2', 'Embedding', { width: 32 }));
    graph.edges.push(edge('tokens', 'tokens', 'embed2', 'input'));
    const tied = replaceNode(graph, 'unembed', 'Unembedding', { tieTo: 'embed2' });
    expect(issuesOf(tied)[0].message).toContain('is tied to Embedding "embed2" of width 32 but receives vectors of width 16');
  });

  it('loss rejects logits without a vocabulary axis', () => {
    const graph = gptGraph();
    graph.edges = graph.edges.map((entry) => (entry.target === 'loss' && entry.targetPort === 'prediction' ? edge('ln_f', 'output', 'loss', 'prediction') : entry));
    const issue = issuesOf(graph).find((entry) => entry.nodeId === 'loss')!;
    expect(issue.port).toBe('prediction');
    expect(issue.message).toContain('the last axis must be the vocabulary size V');
  });

  it('loss rejects logits of another vocabulary size', () => {
    const graph = gptGraph();
    graph.nodes.push(node('proj', 'Dense', { units: 12 }));
    graph.edges = graph.edges.filter((entry) => entry.targetPort !== 'prediction');
    graph.edges.push(edge('ln_f', 'output', 'proj', 'input'), edge('proj', 'output', 'loss', 'prediction'));
    const issue = issuesOf(graph, textShapes(30)).find((entry) => entry.nodeId === 'loss')!;
    expect(issue.message).toContain('receives [B, 8, 12] but a language model needs next-token logits [B, T, 30]');
  });

  it('loss rejects targets that are not [B, T]', () => {
    const graph = gptGraph();
    graph.edges = graph.edges.map((entry) => (entry.targetPort === 'target' ? edge('embed', 'output', 'loss', 'target') : entry));
    const issue = issuesOf(graph).find((entry) => entry.nodeId === 'loss')!;
    expect(issue.port).toBe('target');
    expect(issue.message).toContain('needs targets [B, 8]');
  });

  it('rejects parameters outside their bounds', () => {
    const graph = replaceNode(gptGraph(), 'tokens', 'TokenInput', { contextLength: 0 });
    const [issue] = issuesOf(graph);
    expect(issue.path).toBe('graph.nodes[0].params.contextLength');
    expect(issue.message).toContain('must be an integer from 1 to 1024, got 0');
  });

  it('rejects a tie that is not a text', () => {
    const graph = replaceNode(gptGraph(), 'unembed', 'Unembedding', { tieTo: 3 });
    expect(issuesOf(graph)[0].message).toContain('parameter tieTo: must be a text, got 3');
  });

  it('keeps [B, T, C] through sequence layers', () => {
    const cases: Array<[string, Record<string, number | string | boolean>]> = [
      ['PositionalEncoding', { kind: 'sinusoidal' }],
      ['LayerNorm', {}],
      ['RMSNorm', {}],
      ['GELU', {}],
      ['Dropout', { p: 0.2 }],
      ['SoftmaxTemperature', { temperature: 0.5 }],
      ['FeedForward', { hiddenWidth: 64 }],
      ['MultiHeadAttention', { heads: 4 }],
      ['TransformerBlock', { heads: 2, norm: 'rms' }],
    ];
    for (const [type, params] of cases) {
      const graph: ProjectGraph = {
        nodes: [node('tokens', 'TokenInput', { contextLength: 8 }), node('embed', 'Embedding', { width: 16 }), node('layer', type, params)],
        edges: [edge('tokens', 'tokens', 'embed', 'input'), edge('embed', 'output', 'layer', 'input')],
      };
      expect(shapesOf(graph).get('layer'), type).toEqual({ output: ['B', 8, 16] });
    }
  });
});
