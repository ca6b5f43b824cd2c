import { describe, expect, test } from 'vitest';
import { datasetShapes } from '../../src/engine/data/catalog';
import type { CompiledModel } from '../../src/engine/graph/compile';
import { createDefaultRegistry } from '../../src/engine/graph/nodes/index';
import { transformerBlockTemplate } from '../../src/engine/graph/templates';
import type { DatasetShapes } from '../../src/engine/graph/types';
import { exportOnnx, type OnnxExportOptions } from '../../src/engine/io/onnx/index';
import { INT64 } from '../../src/engine/io/onnx/proto';
import { Rng } from '../../src/engine/tensor/random';
import { Tensor } from '../../src/engine/tensor/tensor';
import { DEFAULT_TRAINING, PROJECT_FORMAT, PROJECT_VERSION, type GraphEdge, type GraphNode, type ProjectFile } from '../../src/shared/project';
import { edge, node } from '../graph/fixtures';
import { expectExportMatchesEngine, randomTokens, seededModel } from '../fixtures/onnx/compare';
import { runOnnx, summarizeModel } from '../fixtures/onnx/runtime';

const VOCABULARY_SIZE = 11;
const CONTEXT_LENGTH = 6;
const WIDTH = 8;
const SHAPES: DatasetShapes = datasetShapes('brown', VOCABULARY_SIZE);

/**
 * tokens → emb (width 8) → body… → unembed → loss, with each body node fed from
 * the one before it. `extraNodes` and `extraEdges` add side branches, such as the
 * second inputs of Concat and ResidualAdd nodes.
 */
function languageModel(
  body: GraphNode[],
  options: { extraNodes?: GraphNode[]; extraEdges?: GraphEdge[]; unembed?: GraphNode; prediction?: GraphNode } = {},
): ProjectFile {
  const unembed = options.unembed ?? node('unembed', 'Unembedding', { bias: true });
  const chain = [node('emb', 'Embedding', { width: WIDTH }), ...body, unembed];
  if (options.prediction !== undefined) chain.push(options.prediction);
  const nodes = [node('tokens', 'TokenInput', { contextLength: CONTEXT_LENGTH }), ...chain, ...(options.extraNodes ?? []), node('loss', 'Loss')];

  const edges = [edge('tokens', 'tokens', 'emb', 'input')];
  for (let i = 1; i < chain.length; i++) {
    const target = chain[i];
    let targetPort = 'input';
    if (target.type === 'Concat') targetPort = 'input1';
    if (target.type === 'ResidualAdd') targetPort = 'b';
    edges.push(edge(chain[i - 1].id, 'output', target.id, targetPort));
  }
  edges.push(...(options.extraEdges ?? []));
  edges.push(edge(chain[chain.length - 1].id, 'output', 'loss', 'prediction'));
  edges.push(edge('tokens', 'targets', 'loss', 'target'));

  return {
    format: PROJECT_FORMAT,
    version: PROJECT_VERSION,
    name: 'ONNX language model test',
    graph: { nodes, edges },
    dataset: { id: 'brown' },
    training: DEFAULT_TRAINING,
  };
}

/** Exports `project`, runs several batch sizes and sequence lengths and compares with the engine. */
async function expectMatchesEngine(project: ProjectFile, seed: number, options: OnnxExportOptions = {}): Promise<void> {
  await expectExportMatchesEngine(project, SHAPES, seed, options);
}

function seededLanguageModel(project: ProjectFile, seed: number): CompiledModel {
  return seededModel(project, SHAPES, seed, 0.3);
}

describe('ONNX export of each language-model node type', () => {
  const cases: [string, () => ProjectFile][] = [
    ['Embedding and Unembedding', () => languageModel([])],
    ['Unembedding without bias', () => languageModel([], { unembed: node('unembed', 'Unembedding', { bias: false }) })],
    ['Unembedding tied to Embedding', () => languageModel([], { unembed: node('unembed', 'Unembedding', { tieTo: 'emb' }) })],
    ['learned PositionalEncoding', () => languageModel([node('pos', 'PositionalEncoding', { kind: 'learned' })])],
    ['sinusoidal PositionalEncoding', () => languageModel([node('pos', 'PositionalEncoding', { kind: 'sinusoidal' })])],
    ['causal AttentionHead', () => languageModel([node('head', 'AttentionHead', { headSize: 5, causal: true })])],
    ['non-causal AttentionHead', () => languageModel([node('head', 'AttentionHead', { headSize: 5, causal: false })])],
    ['causal MultiHeadAttention', () => languageModel([node('mha', 'MultiHeadAttention', { heads: 2, causal: true })])],
    ['non-causal MultiHeadAttention', () => languageModel([node('mha', 'MultiHeadAttention', { heads: 4, causal: false })])],
    ['one-head MultiHeadAttention', () => languageModel([node('mha', 'MultiHeadAttention', { heads: 1 })])],
    [
      'Concat of two heads',
      () =>
        languageModel([node('head1', 'AttentionHead', { headSize: 4 }), node('concat', 'Concat'), node('mix', 'Dense', { units: WIDTH })], {
          extraNodes: [node('head2', 'AttentionHead', { headSize: 3, causal: false })],
          extraEdges: [edge('emb', 'output', 'head2', 'input'), edge('head2', 'output', 'concat', 'input2')],
        }),
    ],
    ['LayerNorm', () => languageModel([node('norm', 'LayerNorm', { eps: 1e-3 })])],
    ['RMSNorm', () => languageModel([node('norm', 'RMSNorm', { eps: 1e-3 })])],
    [
      'ResidualAdd',
      () => languageModel([node('mha', 'MultiHeadAttention', { heads: 2 }), node('add', 'ResidualAdd')], { extraEdges: [edge('emb', 'output', 'add', 'a')] }),
    ],
    ['FeedForward with erf GELU', () => languageModel([node('ff', 'FeedForward', { hiddenWidth: 12, approximate: 'none' })])],
    ['FeedForward with tanh GELU', () => languageModel([node('ff', 'FeedForward', { hiddenWidth: 12, approximate: 'tanh' })])],
    ['GELU after a 3-D Dense', () => languageModel([node('fc', 'Dense', { units: 10 }), node('gelu', 'GELU')])],
    ['ReLU, Sigmoid and Tanh on sequences', () => languageModel([node('relu', 'ReLU'), node('fc', 'Dense', { units: WIDTH, bias: false }), node('sigmoid', 'Sigmoid'), node('tanh', 'Tanh')])],
    ['Dropout', () => languageModel([node('drop', 'Dropout', { p: 0.5 })])],
    ['SoftmaxTemperature as prediction', () => languageModel([], { prediction: node('probs', 'SoftmaxTemperature', { temperature: 0.7 }) })],
    ['Softmax as prediction', () => languageModel([], { prediction: node('probs', 'Softmax') })],
    ['TransformerBlock with LayerNorm', () => languageModel([node('block', 'TransformerBlock', { heads: 2, hiddenWidth: 16 })])],
    ['TransformerBlock with RMSNorm', () => languageModel([node('block', 'TransformerBlock', { heads: 4, hiddenWidth: 16, norm: 'rms', approximate: 'tanh' })])],
    ['non-causal TransformerBlock', () => languageModel([node('block', 'TransformerBlock', { heads: 2, hiddenWidth: 16, causal: false, dropout: 0.3 })])],
  ];
  test.each(cases)('%s matches the engine', async (_label, build) => {
    await expectMatchesEngine(build(), 21);
  });
});

describe('ONNX export of a GPT-style model', () => {
  const gpt = (): ProjectFile =>
    languageModel(
      [
        node('pos', 'PositionalEncoding', { kind: 'learned' }),
        node('block1', 'TransformerBlock', { heads: 2, hiddenWidth: 32 }),
        node('block2', 'TransformerBlock', { heads: 2, hiddenWidth: 32 }),
        node('ln_f', 'LayerNorm'),
      ],
      { unembed: node('unembed', 'Unembedding', { tieTo: 'emb' }) },
    );

  test('two blocks match the engine', async () => {
    await expectMatchesEngine(gpt(), 31);
  });

  test('expanded block template matches the engine', async () => {
    const template = transformerBlockTemplate({ idPrefix: 'block1', position: { x: 0, y: 0 }, heads: 2, hiddenWidth: 16, norm: 'rms' });
    const project = languageModel([], { extraNodes: template.nodes });
    const edges = project.graph.edges.filter((entry) => !(entry.source === 'emb' && entry.target === 'unembed'));
    for (const input of template.inputs) edges.push(edge('emb', 'output', input.nodeId, input.port));
    edges.push(...template.edges, edge(template.output.nodeId, template.output.port, 'unembed', 'input'));
    await expectMatchesEngine({ ...project, graph: { nodes: project.graph.nodes, edges } }, 35);
  });

  test.each([18, 21, 24])('opset %i matches the engine', async (opset) => {
    await expectMatchesEngine(languageModel([node('block', 'TransformerBlock', { heads: 2, hiddenWidth: 16, norm: 'rms' })]), 33, { opset });
  });

  test('names, shapes and shared table', () => {
    const project = gpt();
    const model = seededLanguageModel(project, 31);
    const summary = summarizeModel(exportOnnx(project, model.parameters));

    expect(summary.initializers.filter((tensor) => tensor.name.includes('.')).map((tensor) => tensor.name).sort()).toEqual([...model.parameters.keys()].sort());
    expect(summary.initializers.filter((tensor) => tensor.name === 'emb.weight')).toHaveLength(1);
    expect(summary.inputs).toHaveLength(1);
    expect(summary.inputs[0].name).toBe('tokens');
    expect(summary.inputs[0].elementType).toBe(INT64);
    expect(summary.inputs[0].dims).toEqual(['batch', 'sequence']);
    expect(summary.outputs.map((output) => output.dims)).toEqual([
      ['batch', 'sequence', VOCABULARY_SIZE],
      ['batch', 'sequence', VOCABULARY_SIZE],
    ]);
    for (const id of ['emb', 'pos', 'block1', 'block2', 'ln_f', 'unembed']) expect(summary.nodes.map((entry) => entry.name)).toContain(id);
    expect(summary.nodes.find((entry) => entry.name === 'emb')!.opType).toBe('Gather');
    expect(summary.nodes.find((entry) => entry.name === 'ln_f')!.opType).toBe('LayerNormalization');
    expect(summary.nodes.find((entry) => entry.name === 'block1')!.docString).toBe(createDefaultRegistry().get('TransformerBlock')!.description);
  });

  test('one causal mask serves every head', () => {
    const project = gpt();
    const summary = summarizeModel(exportOnnx(project, seededLanguageModel(project, 31).parameters));
    const masks = summary.initializers.filter((tensor) => tensor.name.startsWith('causal_mask'));
    expect(masks).toHaveLength(1);
    expect(masks[0].dims).toEqual([CONTEXT_LENGTH, CONTEXT_LENGTH]);
    expect(summary.nodes.filter((entry) => entry.opType === 'Softmax')).toHaveLength(2 * 2 + 1);
  });

  test('vocabulary size comes from the Embedding weights', async () => {
    const project = gpt();
    const model = seededLanguageModel(project, 31);
    const summary = summarizeModel(exportOnnx(project, model.parameters, { dataset: datasetShapes('brown') }));
    expect(summary.outputs[0].dims).toEqual(['batch', 'sequence', VOCABULARY_SIZE]);
    const arrays = new Map([...model.parameters].map(([name, tensor]) => [name, tensor.data] as const));
    expect(summarizeModel(exportOnnx(project, arrays)).outputs[0].dims).toEqual(['batch', 'sequence', VOCABULARY_SIZE]);
  });

  test('sequence beyond the context length fails to run', async () => {
    const project = gpt();
    const bytes = exportOnnx(project, seededLanguageModel(project, 31).parameters);
    const { ids } = randomTokens(new Rng(3), 2, CONTEXT_LENGTH + 1, VOCABULARY_SIZE);
    await expect(runOnnx(bytes, { tokens: { kind: 'int64', data: ids, dims: [2, CONTEXT_LENGTH + 1] } })).rejects.toThrow();
  });

  test('fixed batch dimension keeps the free sequence', () => {
    const project = gpt();
    const summary = summarizeModel(exportOnnx(project, seededLanguageModel(project, 31).parameters, { batchDim: 4 }));
    expect(summary.inputs[0].dims).toEqual([4, 'sequence']);
    expect(summary.outputs[0].dims).toEqual([4, 'sequence', VOCABULARY_SIZE]);
  });
});

describe('ONNX export errors of language models', () => {
  test('missing Embedding table and unknown vocabulary', () => {
    const project = languageModel([]);
    const parameters = new Map(seededLanguageModel(project, 1).parameters);
    parameters.delete('emb.weight');
    expect(() => exportOnnx(project, parameters)).toThrow(
      'ONNX export, Embedding node "emb": the vocabulary size of the text dataset is unknown.',
    );
  });

  test('missing Embedding table with a known vocabulary', () => {
    const project = languageModel([]);
    const parameters = new Map(seededLanguageModel(project, 1).parameters);
    parameters.delete('emb.weight');
    expect(() => exportOnnx(project, parameters, { dataset: SHAPES })).toThrow(`ONNX export, Embedding node "emb": the weights have no parameter "emb.weight" [${VOCABULARY_SIZE}, ${WIDTH}].`);
  });

  test('attention weight of the wrong shape names the block', () => {
    const project = languageModel([node('block', 'TransformerBlock', { heads: 2, hiddenWidth: 16 })]);
    const parameters = new Map<string, Tensor>(seededLanguageModel(project, 1).parameters);
    parameters.set('block.attn.heads.1.w_k', Tensor.zeros([WIDTH, WIDTH]));
    expect(() => exportOnnx(project, parameters)).toThrow(
      `ONNX export, TransformerBlock node "block": parameter "block.attn.heads.1.w_k" has shape [${WIDTH}, ${WIDTH}] but the node needs [4, ${WIDTH}].`,
    );
  });

  test('tied table missing names the Unembedding', () => {
    const project = languageModel([], { unembed: node('unembed', 'Unembedding', { tieTo: 'emb' }) });
    const parameters = new Map(seededLanguageModel(project, 1).parameters);
    parameters.delete('emb.weight');
    expect(() => exportOnnx(project, parameters, { dataset: SHAPES })).toThrow('ONNX export, Embedding node "emb": the weights have no parameter "emb.weight"');
  });
});
