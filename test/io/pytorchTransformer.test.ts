import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../src/engine/graph/compile';
import type { DatasetShapes } from '../../src/engine/graph/types';
import { exportPytorch } from '../../src/engine/io/pytorch/index';
import { Rng } from '../../src/engine/tensor/random';
import { noGrad, Tensor } from '../../src/engine/tensor/tensor';
import type { GraphEdge, GraphNode, ProjectFile, ProjectGraph } from '../../src/shared/project';
import { edge, node } from '../graph/fixtures';
import { engineGradients, maxAbsDifference, pythonTorchProblem, runExported } from './pytorchHarness';

const TOLERANCE = 1e-4;
const GRADIENT_TOLERANCE = 1e-4;
const VOCABULARY_SIZE = 11;
const CONTEXT_LENGTH = 8;
const TEXT_SHAPES: DatasetShapes = { featureShape: [], classCount: VOCABULARY_SIZE, task: 'language-model', vocabularySize: VOCABULARY_SIZE };

const torchProblem = pythonTorchProblem();
if (torchProblem !== null) console.warn(`Skipping the PyTorch transformer export runs: ${torchProblem}. Run node scripts/setup-test-env.js as root to install python3-torch.`);
const withTorch = torchProblem === null ? describe : describe.skip;

function textProject(graph: ProjectGraph): ProjectFile {
  return {
    format: 'tensorloom-project',
    version: 1,
    name: 'tiny language model',
    graph,
    dataset: { id: 'brown' },
    training: { epochs: 1, batchSize: 4, learningRate: 0.01, optimizer: 'adamw', momentum: 0.9, seed: 1 },
  };
}

/** Builds a graph from nodes in a chain: each node's `input` port is fed by the output of the one before. */
function chain(nodes: GraphNode[], extraEdges: GraphEdge[] = []): ProjectGraph {
  const edges: GraphEdge[] = [edge('tokens', 'tokens', nodes[0].id, 'input')];
  for (let i = 1; i < nodes.length; i++) edges.push(edge(nodes[i - 1].id, 'output', nodes[i].id, 'input'));
  edges.push(edge(nodes[nodes.length - 1].id, 'output', 'loss', 'prediction'), edge('tokens', 'targets', 'loss', 'target'), ...extraEdges);
  return {
    nodes: [node('tokens', 'TokenInput', { contextLength: CONTEXT_LENGTH }), ...nodes, node('loss', 'Loss')],
    edges,
  };
}

/** Compiles `graph` with `seed`, exports it and checks PyTorch's prediction, loss and gradients against the engine's. */
function expectTorchMatches(graph: ProjectGraph, seed: number, sequenceLength = CONTEXT_LENGTH): void {
  const model = compileGraph(graph, TEXT_SHAPES, new Rng(seed));
  const rng = new Rng(seed + 50);
  const batchSize = 3;
  const randomIds = () => Array.from({ length: batchSize * sequenceLength }, () => Math.floor(rng.next() * VOCABULARY_SIZE));
  const tokens = Tensor.from(randomIds(), [batchSize, sequenceLength]);
  const targetIds = Int32Array.from(randomIds());
  const expectedPrediction = model.predict(tokens);
  const expectedLoss = noGrad(() => model.forward(tokens, targetIds, 'eval').loss.item());
  const expectedGradients = engineGradients(model, tokens, targetIds);

  const source = exportPytorch(textProject(graph), { dataset: TEXT_SHAPES });
  const targets = new Tensor(Float32Array.from(targetIds), [batchSize, sequenceLength]);
  const torch = runExported(source, model.parameters, { features: tokens, targets });

  expect(torch.prediction.shape).toEqual(expectedPrediction.shape);
  expect(maxAbsDifference(torch.prediction.data, expectedPrediction.data)).toBeLessThan(TOLERANCE);
  expect(Math.abs(torch.loss! - expectedLoss)).toBeLessThan(TOLERANCE);
  expect([...torch.tensorloomKeys].sort()).toEqual([...model.parameters.keys()].sort());
  for (const [name, expected] of expectedGradients) {
    const actual = torch.gradients.get(name);
    expect(actual, `gradient of ${name}`).toBeDefined();
    expect(maxAbsDifference(actual!, expected), `gradient of ${name}`).toBeLessThan(GRADIENT_TOLERANCE);
  }
}

withTorch('exportPytorch on language models', () => {
  it('transformer blocks with tied unembedding', () => {
    const graph = chain([
      node('embed', 'Embedding', { width: 16 }),
      node('pos', 'PositionalEncoding', { kind: 'learned' }),
      node('block1', 'TransformerBlock', { heads: 2, hiddenWidth: 32, norm: 'layer', approximate: 'tanh', dropout: 0.1 }),
      node('block2', 'TransformerBlock', { heads: 4, hiddenWidth: 24, norm: 'rms', approximate: 'none' }),
      node('ln_f', 'LayerNorm'),
      node('head', 'Unembedding', { tieTo: 'embed' }),
    ]);
    expectTorchMatches(graph, 3);
  });

  it('shorter sequences than the context', () => {
    const graph = chain([
      node('embed', 'Embedding', { width: 8 }),
      node('pos', 'PositionalEncoding', { kind: 'sinusoidal' }),
      node('attn', 'MultiHeadAttention', { heads: 2 }),
      node('head', 'Unembedding', { bias: true }),
    ]);
    expectTorchMatches(graph, 4, 5);
  });

  it('hand-wired heads, residuals and softmax', () => {
    const nodes = [
      node('embed', 'Embedding', { width: 12 }),
      node('pos', 'PositionalEncoding', { kind: 'sinusoidal' }),
      node('norm1', 'RMSNorm', { eps: 1e-6 }),
      node('head_a', 'AttentionHead', { headSize: 6 }),
      node('head_b', 'AttentionHead', { headSize: 5, causal: false }),
      node('join', 'Concat'),
      node('w_o', 'Dense', { units: 12, init: 'xavier' }),
      node('residual1', 'ResidualAdd'),
      node('norm2', 'LayerNorm', { eps: 1e-4 }),
      node('ff', 'FeedForward', { hiddenWidth: 20, approximate: 'tanh' }),
      node('drop', 'Dropout', { p: 0.2 }),
      node('residual2', 'ResidualAdd'),
      node('gelu', 'GELU'),
      node('unembed', 'Unembedding', { bias: true }),
      node('probabilities', 'SoftmaxTemperature', { temperature: 0.7 }),
      node('tokens', 'TokenInput', { contextLength: CONTEXT_LENGTH }),
      node('loss', 'Loss'),
    ];
    const edges = [
      edge('tokens', 'tokens', 'embed', 'input'),
      edge('embed', 'output', 'pos', 'input'),
      edge('pos', 'output', 'norm1', 'input'),
      edge('norm1', 'output', 'head_a', 'input'),
      edge('norm1', 'output', 'head_b', 'input'),
      edge('head_a', 'output', 'join', 'input1'),
      edge('head_b', 'output', 'join', 'input2'),
      edge('join', 'output', 'w_o', 'input'),
      edge('pos', 'output', 'residual1', 'a'),
      edge('w_o', 'output', 'residual1', 'b'),
      edge('residual1', 'output', 'norm2', 'input'),
      edge('norm2', 'output', 'ff', 'input'),
      edge('ff', 'output', 'drop', 'input'),
      edge('residual1', 'output', 'residual2', 'a'),
      edge('drop', 'output', 'residual2', 'b'),
      edge('residual2', 'output', 'gelu', 'input'),
      edge('gelu', 'output', 'unembed', 'input'),
      edge('unembed', 'output', 'probabilities', 'input'),
      edge('probabilities', 'output', 'loss', 'prediction'),
      edge('tokens', 'targets', 'loss', 'target'),
    ];
    const graph = { nodes, edges };
    expect(exportPytorch(textProject(graph), { dataset: TEXT_SHAPES })).toContain('def logits(self, tokens: torch.Tensor)');
    expectTorchMatches(graph, 5);
  });
});

/** Builds a random small language model: embedding, positions, blocks or a hand-built attention layer, a norm and the unembedding. */
function randomLanguageModel(seed: number): ProjectGraph {
  const rng = new Rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng.next() * items.length)];
  const width = pick([8, 12, 16]);
  const heads = pick([1, 2, 4]);
  const nodes: GraphNode[] = [
    node('embed', 'Embedding', { width }),
    node('pos', 'PositionalEncoding', { kind: pick(['learned', 'sinusoidal']) }),
  ];
  const blockCount = Math.floor(rng.next() * 3);
  for (let block = 1; block <= blockCount; block++) {
    nodes.push(
      node(`block${block}`, 'TransformerBlock', {
        heads,
        hiddenWidth: pick([width, 2 * width]),
        norm: pick(['layer', 'rms']),
        approximate: pick(['none', 'tanh']),
        dropout: pick([0, 0.1]),
        causal: rng.next() < 0.8,
      }),
    );
  }
  if (blockCount === 0) nodes.push(node('attn', 'MultiHeadAttention', { heads, causal: rng.next() < 0.5 }), node('ff', 'FeedForward', { hiddenWidth: 3 * width }));
  nodes.push(node('norm', pick(['LayerNorm', 'RMSNorm']), { eps: pick([1e-5, 1e-6]) }));
  nodes.push(node('unembed', 'Unembedding', { tieTo: rng.next() < 0.5 ? 'embed' : '', bias: rng.next() < 0.5 }));
  if (rng.next() < 0.4) nodes.push(node('probabilities', 'SoftmaxTemperature', { temperature: pick([0.5, 1, 2]) }));
  return chain(nodes);
}

withTorch('exportPytorch on random language models', () => {
  for (let seed = 1; seed <= 4; seed++) {
    it(`random language model ${seed} matches the engine`, () => {
      expectTorchMatches(randomLanguageModel(seed), seed, 3 + seed);
    });
  }
});

describe('exportPytorch language model checks', () => {
  it('asks for the vocabulary size', () => {
    const graph = chain([node('embed', 'Embedding', { width: 8 }), node('head', 'Unembedding')]);
    const withoutVocabulary: DatasetShapes = { featureShape: [], classCount: 0, task: 'language-model' };
    expect(() => exportPytorch(textProject(graph), { dataset: withoutVocabulary })).toThrow(/vocabulary size/);
  });
});
