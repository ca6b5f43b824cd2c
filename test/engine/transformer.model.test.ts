import { describe, expect, test } from 'vitest';
import { noGrad, Tensor } from '../../src/engine/tensor/tensor';
import { Rng } from '../../src/engine/tensor/random';
import { sum } from '../../src/engine/ops';
import { MultiHeadAttention } from '../../src/engine/nn/attention';
import { TransformerBlock } from '../../src/engine/nn/block';
import { Embedding } from '../../src/engine/nn/embedding';
import { TransformerLanguageModel } from '../../src/engine/nn/languageModel';
import { ModuleList } from '../../src/engine/nn/moduleList';
import { PositionalEncoding } from '../../src/engine/nn/positional';
import { Unembedding } from '../../src/engine/nn/unembedding';
import { AdamW } from '../../src/engine/optim/adamw';

function randomInput(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(shape.reduce((count, dim) => count * dim, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return new Tensor(data, shape);
}

function smallModel(overrides: Partial<ConstructorParameters<typeof TransformerLanguageModel>[0]> = {}): TransformerLanguageModel {
  return new TransformerLanguageModel({
    vocabularySize: 11,
    contextLength: 8,
    modelWidth: 8,
    headCount: 2,
    layerCount: 2,
    rng: new Rng(3),
    ...overrides,
  });
}

/** Returns the positions (in [0, T)) of row `batch` whose values differ between two outputs [B, T, C]. */
function changedPositions(before: Tensor, after: Tensor, batch: number): number[] {
  const [, length, width] = before.shape;
  const changed: number[] = [];
  for (let t = 0; t < length; t++) {
    const start = (batch * length + t) * width;
    for (let c = 0; c < width; c++) {
      if (before.data[start + c] !== after.data[start + c]) {
        changed.push(t);
        break;
      }
    }
  }
  return changed;
}

describe('parameter names', () => {
  test('TransformerBlock names its parameters by path', () => {
    const names = new TransformerBlock(8, 2, { rng: new Rng(1) }).namedParameters().map(([name]) => name);
    expect(names).toEqual([
      'ln1.weight',
      'ln1.bias',
      'attn.heads.0.w_q',
      'attn.heads.0.w_k',
      'attn.heads.0.w_v',
      'attn.heads.1.w_q',
      'attn.heads.1.w_k',
      'attn.heads.1.w_v',
      'attn.w_o.weight',
      'attn.w_o.bias',
      'ln2.weight',
      'ln2.bias',
      'ff.fc1.weight',
      'ff.fc1.bias',
      'ff.fc2.weight',
      'ff.fc2.bias',
    ]);
  });

  test('TransformerBlock with RMSNorm has no norm biases', () => {
    const names = new TransformerBlock(8, 2, { rng: new Rng(1), norm: 'rms' }).namedParameters().map(([name]) => name);
    expect(names.filter((name) => name.startsWith('ln'))).toEqual(['ln1.weight', 'ln2.weight']);
  });

  test('head weights use the PyTorch [headSize, modelWidth] layout', () => {
    const attention = new MultiHeadAttention(12, 3, { rng: new Rng(1) });
    expect([...attention.heads.items[0].w_q.shape]).toEqual([4, 12]);
    expect([...attention.w_o.weight.shape]).toEqual([12, 12]);
  });

  test('tied language model stores the shared table once', () => {
    const names = smallModel().namedParameters().map(([name]) => name);
    expect(names.filter((name) => !name.startsWith('blocks.'))).toEqual(['token_embedding.weight', 'position.weight', 'ln_f.weight', 'ln_f.bias']);
  });

  test('untied language model has its own output weight', () => {
    const names = smallModel({ tieWeights: false }).namedParameters().map(([name]) => name);
    expect(names).toContain('lm_head.weight');
  });

  test('sinusoidal language model has no position parameter', () => {
    const names = smallModel({ positional: 'sinusoidal' }).namedParameters().map(([name]) => name);
    expect(names.some((name) => name.startsWith('position'))).toBe(false);
  });

  test('AdamW accepts the tied model parameters', () => {
    expect(() => new AdamW(smallModel().parameterMap(), { learningRate: 1e-3 })).not.toThrow();
  });
});

describe('causal attention', () => {
  test('causal mask leaks no later token', () => {
    const model = smallModel();
    const ids = Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 0, 9, 10, 1, 2, 3, 4, 5); // [2, 8]
    const before = noGrad(() => model.run(ids, [2, 8]).logits);
    for (let position = 0; position < 8; position++) {
      const changed = ids.slice();
      changed[position] = (changed[position] + 5) % 11;
      const after = noGrad(() => model.run(changed, [2, 8]).logits);
      expect(changedPositions(before, after, 0).every((t) => t >= position)).toBe(true);
      expect(changedPositions(before, after, 0)).toContain(position);
      expect(changedPositions(before, after, 1)).toEqual([]);
    }
  });

  test('block output ignores later inputs', () => {
    const block = new TransformerBlock(8, 2, { rng: new Rng(5) });
    const x = randomInput([1, 6, 8], 6);
    const before = noGrad(() => block.forward(x));
    const changed = x.clone();
    for (let c = 0; c < 8; c++) changed.data[4 * 8 + c] += c % 3; // not a constant shift, which the norm would remove
    const after = noGrad(() => block.forward(changed));
    expect(changedPositions(before, after, 0)).toEqual([4, 5]);
  });

  test('unmasked block sees later inputs', () => {
    const block = new TransformerBlock(8, 2, { rng: new Rng(5), causal: false });
    const x = randomInput([1, 6, 8], 6);
    const before = noGrad(() => block.forward(x));
    const changed = x.clone();
    for (let c = 0; c < 8; c++) changed.data[4 * 8 + c] += c % 3; // not a constant shift, which the norm would remove
    const after = noGrad(() => block.forward(changed));
    expect(changedPositions(before, after, 0)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('early output gradient skips later inputs', () => {
    const block = new TransformerBlock(8, 2, { rng: new Rng(7) });
    const x = new Tensor(randomInput([1, 5, 8], 8).data, [1, 5, 8], { requiresGrad: true });
    const output = block.forward(x);
    const seed = new Float32Array(output.numel);
    seed.fill(1, 0, 2 * 8); // positions 0 and 1 only
    output.backward(seed);
    expect(x.grad!.subarray(2 * 8).every((value) => value === 0)).toBe(true);
    expect(x.grad!.subarray(0, 2 * 8).some((value) => value !== 0)).toBe(true);
  });

  test('model attention is zero above diagonal', () => {
    const { attention } = noGrad(() => smallModel().run(Int32Array.of(1, 2, 3, 4), [1, 4]));
    expect(attention).toHaveLength(2);
    for (const weights of attention.flat()) {
      for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(weights.data[i * 4 + j]).toBe(0);
    }
  });
});

describe('embedding layers', () => {
  test('Embedding forward reads integer ids from a tensor', () => {
    const layer = new Embedding(4, 2, { rng: new Rng(1) });
    const output = layer.forward(Tensor.from([3, 0], [1, 2]));
    expect([...output.shape]).toEqual([1, 2, 2]);
    expect([...output.data]).toEqual([...layer.weight.data.subarray(6, 8), ...layer.weight.data.subarray(0, 2)]);
  });

  test('Embedding forward rejects fractional ids', () => {
    const layer = new Embedding(4, 2, { rng: new Rng(1) });
    expect(() => layer.forward(Tensor.from([1.5], [1]))).toThrow('Embedding: token ids must be integers, but element 0 of the input [1] is 1.5.');
  });

  test('sinusoidal encoding matches the sine and cosine formula', () => {
    const encoding = new PositionalEncoding(10, 6, { kind: 'sinusoidal' });
    const output = encoding.forward(Tensor.zeros([1, 4, 6]));
    const position = 3;
    const pair = 1;
    const angle = position / 10000 ** ((2 * pair) / 6);
    expect(output.data[position * 6 + 2 * pair]).toBeCloseTo(Math.sin(angle), 6);
    expect(output.data[position * 6 + 2 * pair + 1]).toBeCloseTo(Math.cos(angle), 6);
  });

  test('sinusoidal encoding supports an odd width', () => {
    const output = new PositionalEncoding(4, 5, { kind: 'sinusoidal' }).forward(Tensor.zeros([2, 5]));
    expect(output.data[5 + 4]).toBeCloseTo(Math.sin(1 / 10000 ** (4 / 5)), 6);
  });

  test('learned encoding gradient reaches only the positions used', () => {
    const encoding = new PositionalEncoding(6, 2, { kind: 'learned', rng: new Rng(2) });
    sum(encoding.forward(Tensor.zeros([3, 4, 2]))).backward();
    expect([...encoding.table.grad!]).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0]);
  });

  test('positional encoding rejects a sequence longer than its maxLength', () => {
    const encoding = new PositionalEncoding(4, 2, { kind: 'sinusoidal' });
    expect(() => encoding.forward(Tensor.zeros([1, 5, 2]))).toThrow('PositionalEncoding: the sequence has 5 positions but the encoding covers 4');
  });

  test('tied Unembedding gradient flows into the embedding table', () => {
    const table = new Embedding(5, 3, { rng: new Rng(3) });
    const head = new Unembedding(3, 5, { tiedTo: table });
    sum(head.forward(table.lookup(Int32Array.of(1, 4), [2]))).backward();
    expect(head.weight).toBe(table.weight);
    expect(head.namedParameters()).toEqual([]);
    expect(table.weight.grad!.some((value) => value !== 0)).toBe(true);
  });

  test('tied Unembedding rejects a table of another shape', () => {
    const table = new Embedding(5, 3, { rng: new Rng(3) });
    expect(() => new Unembedding(4, 5, { tiedTo: table })).toThrow('Unembedding: the tied embedding table is [5, 3] but this layer needs [5, 4].');
  });
});

describe('layer argument errors', () => {
  test('MultiHeadAttention rejects a width the heads cannot divide', () => {
    expect(() => new MultiHeadAttention(10, 3, { rng: new Rng(1) })).toThrow('MultiHeadAttention: modelWidth 10 is not divisible by headCount 3');
  });

  test('MultiHeadAttention rejects an input of another width', () => {
    expect(() => new MultiHeadAttention(8, 2, { rng: new Rng(1) }).forward(Tensor.zeros([1, 3, 6]))).toThrow(
      'MultiHeadAttention: input must be [..., T, 8] (a sequence of model-width vectors), got [1, 3, 6].',
    );
  });

  test('ModuleList has no forward pass', () => {
    expect(() => new ModuleList([]).forward(Tensor.zeros([1]))).toThrow('ModuleList has no forward pass');
  });

  test('language model rejects a context longer than its positions', () => {
    expect(() => smallModel().run(new Int32Array(9), [1, 9])).toThrow('PositionalEncoding: the sequence has 9 positions but the encoding covers 8');
  });

  test('language model rejects a token outside the vocabulary', () => {
    expect(() => smallModel().run(Int32Array.of(1, 11), [1, 2])).toThrow('embedding: ids[1] is 11, outside the range [0, 10]');
  });

  test('nextTokenLogits crops the context to the context length', () => {
    const model = smallModel();
    const long = Int32Array.from({ length: 20 }, (_unused, i) => i % 11);
    expect([...model.nextTokenLogits(long)]).toEqual([...model.nextTokenLogits(long.slice(12))]);
  });
});

describe('dropout in blocks', () => {
  test('block dropout is off in evaluation mode', () => {
    const x = randomInput([2, 4, 8], 9);
    const plain = new TransformerBlock(8, 2, { rng: new Rng(10) });
    const dropped = new TransformerBlock(8, 2, { rng: new Rng(10), dropout: 0.5 }).eval();
    for (const [name, parameter] of dropped.namedParameters()) parameter.data.set(plain.parameterMap().get(name)!.data);
    expect([...noGrad(() => dropped.forward(x)).data]).toEqual([...noGrad(() => plain.forward(x)).data]);
  });

  test('block dropout changes the output in training mode', () => {
    const x = randomInput([2, 4, 8], 9);
    const block = new TransformerBlock(8, 2, { rng: new Rng(10), dropout: 0.5 });
    const training = noGrad(() => block.forward(x));
    const evaluation = noGrad(() => block.eval().forward(x));
    expect([...training.data]).not.toEqual([...evaluation.data]);
  });
});

describe('language model forward', () => {
  test('forward reads ids from a tensor and returns logits', () => {
    const model = smallModel();
    const ids = Int32Array.of(1, 2, 3, 4, 5, 6);
    const logits = noGrad(() => model.forward(Tensor.from(ids, [2, 3])));
    expect([...logits.shape]).toEqual([2, 3, 11]);
    expect([...logits.data]).toEqual([...noGrad(() => model.run(ids, [2, 3]).logits).data]);
  });

  test('loss backward reaches every parameter', () => {
    const model = smallModel({ tieWeights: false });
    model.loss(Int32Array.of(1, 2, 3, 4), Int32Array.of(2, 3, 4, 5), [1, 4]).backward();
    const missing = model.namedParameters().filter(([, parameter]) => parameter.grad === null).map(([name]) => name);
    expect(missing).toEqual([]);
  });

  test('initial loss is close to ln V', () => {
    const model = smallModel();
    const loss = noGrad(() => model.loss(Int32Array.of(1, 2, 3, 4), Int32Array.of(2, 3, 4, 5), [1, 4]).item());
    expect(Math.abs(loss - Math.log(11))).toBeLessThan(0.1);
  });
});
