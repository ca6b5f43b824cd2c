import { describe, expect, it } from 'vitest';
import { compileGraph, type CompiledModel } from '../../src/engine/graph/compile';
import { transformerBlockTemplate } from '../../src/engine/graph/templates';
import { AdamW } from '../../src/engine/optim/adamw';
import { Rng } from '../../src/engine/tensor/random';
import { noGrad, Tensor } from '../../src/engine/tensor/tensor';
import type { ProjectGraph } from '../../src/shared/project';
import { edge, node } from './fixtures';
import { gptGraph, textShapes } from './textFixtures';

const VOCABULARY = 11;

function tokenBatch(rows: number[][]): { tokens: Tensor; targets: Int32Array } {
  const length = rows[0].length;
  const tokens = new Tensor(Float32Array.from(rows.flat()), [rows.length, length]); // [B, T]
  // Targets: each token's successor modulo the vocabulary, a rule a model can learn.
  const targets = Int32Array.from(rows.flat().map((id) => (id + 1) % VOCABULARY));
  return { tokens, targets };
}

function compile(graph: ProjectGraph, seed = 3): CompiledModel {
  return compileGraph(graph, textShapes(VOCABULARY), new Rng(seed));
}

/** Copies each tensor of `source` into the tensor of `target` named by `rename(name)`. */
function copyWeights(source: CompiledModel, target: CompiledModel, rename: (name: string) => string): void {
  for (const [name, tensor] of source.parameters) {
    const destination = target.parameters.get(rename(name));
    if (destination === undefined) throw new Error(`no parameter ${rename(name)} for ${name}`);
    destination.data.set(tensor.data);
  }
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let largest = 0;
  for (let i = 0; i < actual.length; i++) largest = Math.max(largest, Math.abs(actual[i] - expected[i]));
  expect(largest).toBeLessThan(tolerance);
}

describe('language model compile', () => {
  it('names parameters after node ids and layers', () => {
    const names = [...compile(gptGraph({ blocks: 2 })).parameters.keys()];
    for (const name of ['embed.weight', 'pos.weight', 'block1.attn.heads.0.w_q', 'block1.attn.heads.1.w_v', 'block1.attn.w_o.weight', 'block1.ln1.weight', 'block2.ff.fc1.weight', 'ln_f.bias']) {
      expect(names).toContain(name);
    }
  });

  it('stores a tied unembedding once', () => {
    const names = [...compile(gptGraph()).parameters.keys()];
    expect(names.some((name) => name.startsWith('unembed.'))).toBe(false);
  });

  it('gives an untied unembedding its own weight', () => {
    const model = compile(gptGraph({ tied: false, width: 16 }));
    expect(model.parameters.get('unembed.weight')!.shape).toEqual([VOCABULARY, 16]);
  });

  it('reports the task and context length', () => {
    const model = compile(gptGraph({ contextLength: 6 }));
    expect(model.task).toBe('language-model');
    expect(model.contextLength).toBe(6);
  });

  it('returns a loss near ln V before training', () => {
    const model = compile(gptGraph());
    const { tokens, targets } = tokenBatch([[1, 2, 3, 4, 5, 6, 7, 8]]);
    const loss = noGrad(() => model.forward(tokens, targets, 'eval').loss.item());
    expect(Math.abs(loss - Math.log(VOCABULARY))).toBeLessThan(0.5);
  });

  it('lowers the loss in a few AdamW steps', () => {
    const model = compile(gptGraph());
    const optimizer = new AdamW(model.parameters, { learningRate: 0.01 });
    const { tokens, targets } = tokenBatch([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [3, 4, 5, 6, 7, 8, 9, 10],
    ]);
    const losses: number[] = [];
    for (let step = 0; step < 15; step++) {
      optimizer.zeroGrad();
      const { loss } = model.forward(tokens, targets, 'train');
      losses.push(loss.item());
      loss.backward();
      optimizer.step();
    }
    expect(losses[14]).toBeLessThan(losses[0] * 0.7);
  });

  it('never lets a later token change an earlier position', () => {
    const model = compile(gptGraph({ blocks: 2 }));
    const first = tokenBatch([[1, 2, 3, 4, 5, 6, 7, 8]]);
    const second = tokenBatch([[1, 2, 3, 4, 9, 0, 10, 2]]);
    const before = model.predict(first.tokens).data; // [1, 8, V]
    const after = model.predict(second.tokens).data;
    expectClose(after.slice(0, 4 * VOCABULARY), before.slice(0, 4 * VOCABULARY), 1e-6);
    expect(Math.abs(after[4 * VOCABULARY] - before[4 * VOCABULARY])).toBeGreaterThan(1e-6);
  });

  it('next-token logits match the last position of predict', () => {
    const model = compile(gptGraph());
    const context = Int32Array.of(4, 2, 9, 1, 0);
    const logits = model.nextTokenLogits(context);
    const predicted = model.predict(new Tensor(Float32Array.from(context), [1, 5])).data;
    expectClose(logits, predicted.slice(4 * VOCABULARY, 5 * VOCABULARY));
  });

  it('next-token logits read only the last context length tokens', () => {
    const model = compile(gptGraph({ contextLength: 4 }));
    expectClose(model.nextTokenLogits(Int32Array.of(7, 7, 1, 2, 3, 4)), model.nextTokenLogits(Int32Array.of(1, 2, 3, 4)));
  });

  it('captures each head attention of the last forward', () => {
    const model = compile(gptGraph({ blocks: 2, heads: 2 }));
    const { tokens, targets } = tokenBatch([[1, 2, 3, 4, 5, 6, 7, 8]]);
    noGrad(() => model.forward(tokens, targets, 'eval'));
    const captures = model.lastAttention();
    expect(captures.map((capture) => capture.nodeId)).toEqual(['block1', 'block2']);
    expect(captures[0].heads).toHaveLength(2);
    expect(captures[0].heads[0].shape).toEqual([1, 8, 8]);
    const weights = captures[1].heads[1].data;
    expect(weights[0 * 8 + 0]).toBeCloseTo(1, 6);
    expect(weights[0 * 8 + 1]).toBe(0);
    const lastRow = weights.slice(7 * 8, 8 * 8).reduce((sum, value) => sum + value, 0);
    expect(lastRow).toBeCloseTo(1, 5);
  });

  it('hand-wired heads match multi-head attention', () => {
    const handWired: ProjectGraph = {
      nodes: [
        node('tokens', 'TokenInput', { contextLength: 6 }),
        node('embed', 'Embedding', { width: 16 }),
        node('h0', 'AttentionHead', { headSize: 8 }),
        node('h1', 'AttentionHead', { headSize: 8 }),
        node('cat', 'Concat'),
        node('wo', 'Dense', { units: 16, bias: true }),
        node('unembed', 'Unembedding', { tieTo: 'embed' }),
        node('loss', 'Loss'),
      ],
      edges: [
        edge('tokens', 'tokens', 'embed', 'input'),
        edge('embed', 'output', 'h0', 'input'),
        edge('embed', 'output', 'h1', 'input'),
        edge('h0', 'output', 'cat', 'input1'),
        edge('h1', 'output', 'cat', 'input2'),
        edge('cat', 'output', 'wo', 'input'),
        edge('wo', 'output', 'unembed', 'input'),
        edge('unembed', 'output', 'loss', 'prediction'),
        edge('tokens', 'targets', 'loss', 'target'),
      ],
    };
    const multiHead: ProjectGraph = {
      nodes: [
        node('tokens', 'TokenInput', { contextLength: 6 }),
        node('embed', 'Embedding', { width: 16 }),
        node('mha', 'MultiHeadAttention', { heads: 2 }),
        node('unembed', 'Unembedding', { tieTo: 'embed' }),
        node('loss', 'Loss'),
      ],
      edges: [
        edge('tokens', 'tokens', 'embed', 'input'),
        edge('embed', 'output', 'mha', 'input'),
        edge('mha', 'output', 'unembed', 'input'),
        edge('unembed', 'output', 'loss', 'prediction'),
        edge('tokens', 'targets', 'loss', 'target'),
      ],
    };
    const wired = compile(handWired, 5);
    const joined = compile(multiHead, 9);
    copyWeights(wired, joined, (name) => name.replace(/^h(\d)\./, 'mha.heads.$1.').replace(/^wo\./, 'mha.w_o.'));

    const { tokens, targets } = tokenBatch([
      [1, 5, 2, 8, 3, 0],
      [10, 4, 4, 7, 9, 6],
    ]);
    const wiredResult = wired.forward(tokens, targets, 'train');
    const joinedResult = joined.forward(tokens, targets, 'train');
    expectClose(joinedResult.outputs.get('mha')!.data, wiredResult.outputs.get('wo')!.data);
    expect(joinedResult.loss.item()).toBeCloseTo(wiredResult.loss.item(), 5);

    wiredResult.loss.backward();
    joinedResult.loss.backward();
    expectClose(joined.parameters.get('mha.heads.1.w_k')!.grad!, wired.parameters.get('h1.w_k')!.grad!, 1e-5);
    expectClose(joined.parameters.get('embed.weight')!.grad!, wired.parameters.get('embed.weight')!.grad!, 1e-5);
  });

  it('block template matches the transformer block node', () => {
    const template = transformerBlockTemplate({ idPrefix: 'b', position: { x: 0, y: 0 }, heads: 2, hiddenWidth: 32 });
    const expanded: ProjectGraph = {
      nodes: [node('tokens', 'TokenInput', { contextLength: 6 }), node('embed', 'Embedding', { width: 16 }), ...template.nodes, node('unembed', 'Unembedding', { tieTo: 'embed' }), node('loss', 'Loss')],
      edges: [
        edge('tokens', 'tokens', 'embed', 'input'),
        ...template.inputs.map((port) => edge('embed', 'output', port.nodeId, port.port)),
        ...template.edges,
        edge(template.output.nodeId, template.output.port, 'unembed', 'input'),
        edge('unembed', 'output', 'loss', 'prediction'),
        edge('tokens', 'targets', 'loss', 'target'),
      ],
    };
    const single: ProjectGraph = {
      nodes: [node('tokens', 'TokenInput', { contextLength: 6 }), node('embed', 'Embedding', { width: 16 }), node('block', 'TransformerBlock', { heads: 2, hiddenWidth: 32 }), node('unembed', 'Unembedding', { tieTo: 'embed' }), node('loss', 'Loss')],
      edges: [
        edge('tokens', 'tokens', 'embed', 'input'),
        edge('embed', 'output', 'block', 'input'),
        edge('block', 'output', 'unembed', 'input'),
        edge('unembed', 'output', 'loss', 'prediction'),
        edge('tokens', 'targets', 'loss', 'target'),
      ],
    };
    const expandedModel = compile(expanded, 2);
    const singleModel = compile(single, 4);
    copyWeights(expandedModel, singleModel, (name) => name.replace(/^b_(ln1|attn|ln2|ff)\./, 'block.$1.'));

    const { tokens, targets } = tokenBatch([[3, 1, 4, 1, 5, 9]]);
    const expandedLoss = noGrad(() => expandedModel.forward(tokens, targets, 'eval').loss.item());
    const singleLoss = noGrad(() => singleModel.forward(tokens, targets, 'eval').loss.item());
    expect(singleLoss).toBeCloseTo(expandedLoss, 5);
  });

  it('rejects a template prefix that cannot start parameter names', () => {
    expect(() => transformerBlockTemplate({ idPrefix: 'block 1', position: { x: 0, y: 0 } })).toThrow('idPrefix "block 1" must use letters, digits and underscores only');
  });

  it('rejects a batch longer than the context', () => {
    const model = compile(gptGraph({ contextLength: 4 }));
    const { tokens, targets } = tokenBatch([[1, 2, 3, 4, 5]]);
    expect(() => model.forward(tokens, targets, 'eval')).toThrow('token ids [B, T] with T from 1 to the context length 4, but got [1, 5]');
  });

  it('refuses to compile before the vocabulary is known', () => {
    expect(() => compileGraph(gptGraph(), { featureShape: [], classCount: 0, task: 'language-model' }, new Rng(1))).toThrow(
      'Embedding node "embed" cannot be built before the text is loaded',
    );
  });

  it('trains on the logits entering a softmax with temperature', () => {
    const plain = compile(gptGraph(), 6);
    const withSoftmax = gptGraph();
    withSoftmax.nodes.push(node('probabilities', 'SoftmaxTemperature', { temperature: 0.5 }));
    withSoftmax.edges = withSoftmax.edges.filter((entry) => entry.targetPort !== 'prediction');
    withSoftmax.edges.push(edge('unembed', 'output', 'probabilities', 'input'), edge('probabilities', 'output', 'loss', 'prediction'));
    const softened = compile(withSoftmax, 6);

    const { tokens, targets } = tokenBatch([[2, 7, 1, 8, 2, 8, 1, 8]]);
    const plainLoss = noGrad(() => plain.forward(tokens, targets, 'eval').loss.item());
    const softenedResult = noGrad(() => softened.forward(tokens, targets, 'eval'));
    expect(softenedResult.loss.item()).toBeCloseTo(plainLoss, 6);
    const firstRow = softenedResult.outputs.get('probabilities')!.data.slice(0, VOCABULARY).reduce((sum, value) => sum + value, 0);
    expect(firstRow).toBeCloseTo(1, 5);
    expectClose(softened.nextTokenLogits(Int32Array.of(2, 7)), plain.nextTokenLogits(Int32Array.of(2, 7)));
  });

  it('drops values only in training mode', () => {
    const graph = gptGraph();
    graph.nodes.push(node('drop', 'Dropout', { p: 0.5 }));
    graph.edges.push(edge('embed', 'output', 'drop', 'input'));
    const model = compile(graph);
    const { tokens, targets } = tokenBatch([[1, 2, 3, 4, 5, 6, 7, 8]]);
    const embedded = noGrad(() => model.forward(tokens, targets, 'eval').outputs.get('embed')!.data);
    const evaluated = noGrad(() => model.forward(tokens, targets, 'eval').outputs.get('drop')!.data);
    const trained = noGrad(() => model.forward(tokens, targets, 'train').outputs.get('drop')!.data);
    expectClose(evaluated, embedded, 1e-12);
    expect(trained.filter((value) => value === 0).length).toBeGreaterThan(20);
  });
});
