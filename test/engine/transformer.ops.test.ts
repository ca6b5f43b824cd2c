import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Tensor } from '../../src/engine/tensor/tensor';
import { Rng } from '../../src/engine/tensor/random';
import {
  bmm,
  causalMask,
  concat,
  dropout,
  embedding,
  gelu,
  layerNorm,
  permute,
  rmsNorm,
  sequenceCrossEntropy,
  reshape,
  softmax,
  softmaxWithTemperature,
  split,
  sum,
  transpose,
  type GeluApproximation,
} from '../../src/engine/ops';
import { erf } from '../../src/engine/ops/gelu';
import { decode, maxExcessError, type EncodedTensor } from './fixtures';
import { gradientMismatches } from './gradcheck';

interface TransformerOpCase {
  name: string;
  op: string;
  attributes: {
    ids?: number[];
    idsShape?: number[];
    axis?: number;
    axis1?: number;
    axis2?: number;
    axes?: number[];
    sizes?: number[];
    approximate?: GeluApproximation;
    eps?: number;
    temperature?: number;
    targets?: number[];
  };
  inputs: EncodedTensor[];
  outputs: EncodedTensor[];
  upstreams: EncodedTensor[];
  gradients: EncodedTensor[];
}

type Runner = (inputs: Tensor[], attributes: TransformerOpCase['attributes']) => Tensor[];

/** Engine op for each fixture op name; every runner returns a list, because split has several outputs. */
const RUNNERS: Record<string, Runner> = {
  embedding: ([table], { ids, idsShape }) => [embedding(table, Int32Array.from(ids!), idsShape!)],
  transpose: ([a], { axis1, axis2 }) => [transpose(a, axis1!, axis2!)],
  permute: ([a], { axes }) => [permute(a, axes!)],
  split: ([a], { axis, sizes }) => split(a, axis!, sizes!),
  concat: (parts, { axis }) => [concat(parts, axis!)],
  bmm: ([a, b]) => [bmm(a, b)],
  causalMaskSoftmax: ([scores]) => [softmax(causalMask(scores), -1)],
  gelu: ([a], { approximate }) => [gelu(a, approximate)],
  layerNorm: ([x, weight, bias], { eps }) => [layerNorm(x, weight, bias, eps)],
  rmsNorm: ([x, weight], { eps }) => [rmsNorm(x, weight, eps)],
  softmaxWithTemperature: ([a], { temperature }) => [softmaxWithTemperature(a, temperature!)],
  sequenceCrossEntropy: ([logits], { targets }) => [sequenceCrossEntropy(logits, Int32Array.from(targets!))],
};

// Values are compared tighter than gradients, which go through more float32 rounding.
const VALUE_TOLERANCE = { absolute: 1e-5, relative: 1e-5 };
const GRADIENT_TOLERANCE = { absolute: 2e-5, relative: 1e-4 };

function loadCases(): TransformerOpCase[] {
  const text = readFileSync(new URL('../fixtures/reference/transformer_ops.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { cases: TransformerOpCase[] }).cases;
}

function randomTensor(shape: number[], seed: number, scaleBy = 1): Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(shape.reduce((count, dim) => count * dim, 1));
  for (let i = 0; i < data.length; i++) data[i] = scaleBy * rng.normal();
  return new Tensor(data, shape);
}

/** Joins several outputs into one flat tensor, so gradientMismatches weighs every element of every output. */
function joinOutputs(outputs: Tensor[]): Tensor {
  return outputs.length === 1 ? outputs[0] : concat(outputs.map((output) => reshape(output, [-1])), 0); // each [...] -> [n], joined
}

describe('transformer ops against PyTorch', () => {
  const cases = loadCases();

  test('fixture covers every op', () => {
    const covered = new Set(cases.map((entry) => entry.op));
    expect(Object.keys(RUNNERS).filter((op) => !covered.has(op))).toEqual([]);
  });

  for (const entry of cases) {
    describe(entry.name, () => {
      const run = () => {
        const inputs = entry.inputs.map((input) => decode(input, true));
        const outputs = RUNNERS[entry.op](inputs, entry.attributes);
        outputs.forEach((output, index) => output.backward(Float32Array.from(entry.upstreams[index].data)));
        return { inputs, outputs };
      };

      test(`${entry.name} output shapes match PyTorch`, () => {
        expect(run().outputs.map((output) => [...output.shape])).toEqual(entry.outputs.map((output) => output.shape));
      });

      test(`${entry.name} output values match PyTorch`, () => {
        const { outputs } = run();
        outputs.forEach((output, index) => {
          expect(maxExcessError(output.data, entry.outputs[index].data, VALUE_TOLERANCE.relative)).toBeLessThanOrEqual(VALUE_TOLERANCE.absolute);
        });
      });

      entry.gradients.forEach((gradient, index) => {
        test(`${entry.name} gradient of input ${index} matches PyTorch`, () => {
          const grad = run().inputs[index].grad;
          expect(grad).not.toBeNull();
          expect(maxExcessError(grad!, gradient.data, GRADIENT_TOLERANCE.relative)).toBeLessThanOrEqual(GRADIENT_TOLERANCE.absolute);
        });
      });
    });
  }
});

describe('transformer ops against finite differences', () => {
  for (const entry of loadCases()) {
    test(`${entry.name} backward matches finite differences`, () => {
      const inputs = entry.inputs.map((input) => decode(input));
      const compute = (leaves: Tensor[]) => joinOutputs(RUNNERS[entry.op](leaves, entry.attributes));
      // The custom eps cases normalise inputs of size ~0.01, which the default step of 1e-2 would swamp.
      const step = entry.name.endsWith('custom eps') ? 2e-4 : undefined;
      expect(gradientMismatches(compute, inputs, { step })).toEqual([]);
    });
  }

  test('bmm backward matches finite differences at kernel block edges', () => {
    const inputs = [randomTensor([2, 5, 70], 1), randomTensor([70, 6], 2)];
    expect(gradientMismatches(([a, b]) => bmm(a, b), inputs)).toEqual([]);
  });

  test('layerNorm backward matches finite differences without affine', () => {
    expect(gradientMismatches(([x]) => layerNorm(x, null, null), [randomTensor([3, 7], 3)])).toEqual([]);
  });

  test('rmsNorm backward matches finite differences without weight', () => {
    expect(gradientMismatches(([x]) => rmsNorm(x, null), [randomTensor([3, 7], 4)])).toEqual([]);
  });

  test('gelu backward matches finite differences over a wide range', () => {
    for (const approximate of ['none', 'tanh'] as const) {
      expect(gradientMismatches(([a]) => gelu(a, approximate), [randomTensor([40], 5, 4)])).toEqual([]);
    }
  });

  test('dropout backward matches finite differences with a fixed seed', () => {
    // A fresh generator per call makes every evaluation draw the same mask.
    const compute = ([x]: Tensor[]) => dropout(x, 0.3, new Rng(11), true);
    expect(gradientMismatches(compute, [randomTensor([4, 6], 6)])).toEqual([]);
  });

  test('embedding backward accumulates repeated ids', () => {
    const table = Tensor.from([1, 2, 3, 4, 5, 6], [3, 2], true);
    embedding(table, Int32Array.of(2, 0, 2, 2), [4]).backward(Float32Array.of(1, 10, 100, 1000, 2, 20, 3, 30));
    expect([...table.grad!]).toEqual([100, 1000, 0, 0, 6, 60]);
  });
});

describe('causalMask', () => {
  test('causalMask sets future scores to -Infinity', () => {
    const masked = causalMask(Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]));
    expect([...masked.data]).toEqual([1, -Infinity, -Infinity, 4, 5, -Infinity, 7, 8, 9]);
  });

  test('softmax after causalMask gives future positions exactly 0', () => {
    const weights = softmax(causalMask(randomTensor([2, 4, 4], 7, 30)), -1);
    for (let matrix = 0; matrix < 2; matrix++) {
      for (let i = 0; i < 4; i++) {
        for (let j = i + 1; j < 4; j++) expect(weights.data[matrix * 16 + i * 4 + j]).toBe(0);
      }
    }
  });

  test('softmax after causalMask gives rows that sum to 1', () => {
    const weights = softmax(causalMask(randomTensor([5, 5], 8)), -1);
    const rowSums = sum(weights, -1);
    for (const total of rowSums.data) expect(total).toBeCloseTo(1, 6);
  });

  test('causalMask backward passes no gradient to future scores', () => {
    const scores = randomTensor([3, 3], 9);
    const leaf = new Tensor(scores.data.slice(), scores.shape, { requiresGrad: true });
    sum(softmax(causalMask(leaf), -1)).backward();
    expect([leaf.grad![1], leaf.grad![2], leaf.grad![5]]).toEqual([0, 0, 0]);
  });
});

describe('dropout', () => {
  test('dropout at evaluation returns the input itself', () => {
    const x = randomTensor([4, 4], 10);
    expect(dropout(x, 0.5, new Rng(1), false)).toBe(x);
  });

  test('dropout with p 0 returns the input itself', () => {
    const x = randomTensor([4, 4], 10);
    expect(dropout(x, 0, new Rng(1), true)).toBe(x);
  });

  test('dropout drops about p of the elements and scales the rest', () => {
    const x = Tensor.full([10000], 1);
    const output = dropout(x, 0.25, new Rng(3), true);
    const dropped = output.data.filter((value) => value === 0).length;
    expect(dropped / x.numel).toBeGreaterThan(0.23);
    expect(dropped / x.numel).toBeLessThan(0.27);
    expect(output.data.every((value) => value === 0 || Math.abs(value - 1 / 0.75) < 1e-6)).toBe(true);
  });

  test('dropout with the same seed draws the same mask', () => {
    const x = randomTensor([50], 12);
    expect([...dropout(x, 0.5, new Rng(4), true).data]).toEqual([...dropout(x, 0.5, new Rng(4), true).data]);
  });

  test('dropout with p 1 zeroes everything', () => {
    const output = dropout(randomTensor([6], 13), 1, new Rng(1), true);
    expect(output.data.every((value) => value === 0)).toBe(true);
  });
});

describe('erf', () => {
  test('erf matches known values within 1.5e-7', () => {
    // Values of Python's math.erf, rounded to ten digits.
    const known: Array<[number, number]> = [
      [0, 0],
      [0.05, 0.0563719778],
      [0.5, 0.5204998778],
      [1, 0.8427007929],
      [2, 0.995322265],
      [-1.5, -0.9661051465],
      [4, 1 - 1.54172579e-8],
    ];
    for (const [x, expected] of known) expect(Math.abs(erf(x) - expected), `erf(${x})`).toBeLessThan(1.5e-7);
  });

  test('erf is odd', () => {
    expect(erf(-0.7)).toBe(-erf(0.7));
  });
});

describe('transformer op argument errors', () => {
  const zeros = (...shape: number[]) => Tensor.zeros(shape);

  test('embedding rejects an id out of range naming index and value', () => {
    expect(() => embedding(zeros(5, 2), Int32Array.of(0, 4, 5), [3])).toThrow(
      'embedding: ids[2] is 5, outside the range [0, 4] of table [5, 2]; every id must be below the vocabulary size 5.',
    );
  });

  test('embedding rejects a negative id', () => {
    expect(() => embedding(zeros(5, 2), Int32Array.of(-1), [1])).toThrow('embedding: ids[0] is -1');
  });

  test('embedding rejects ids that do not fill idsShape', () => {
    expect(() => embedding(zeros(5, 2), Int32Array.of(1, 2), [3])).toThrow('embedding: idsShape [3] needs 3 ids but ids has 2.');
  });

  test('embedding rejects float ids', () => {
    expect(() => embedding(zeros(5, 2), Float32Array.of(1) as unknown as Int32Array, [1])).toThrow('embedding: ids must be an Int32Array');
  });

  test('permute rejects a repeated axis', () => {
    expect(() => permute(zeros(2, 3), [1, -1])).toThrow('permute: axes [1, -1] repeat an axis');
  });

  test('transpose rejects an axis out of range', () => {
    expect(() => transpose(zeros(2, 3), 0, 2)).toThrow('transpose: axis 2 is out of range for a tensor of rank 2');
  });

  test('split rejects sizes that miss the axis length', () => {
    expect(() => split(zeros(2, 5), 1, [2, 2])).toThrow('split: sizes [2, 2] add up to 4 but axis 1 of a [2, 5] has length 5');
  });

  test('concat rejects mismatched shapes', () => {
    expect(() => concat([zeros(2, 3), zeros(3, 3)], 1)).toThrow('concat: tensors[1] is [3, 3] but tensors[0] is [2, 3]');
  });

  test('concat rejects an empty list', () => {
    expect(() => concat([], 0)).toThrow('concat: tensors must be a non-empty array');
  });

  test('bmm rejects differing inner dimensions', () => {
    expect(() => bmm(zeros(2, 3, 4), zeros(2, 5, 6))).toThrow('bmm: inner dimensions differ, a is [2, 3, 4] and b is [2, 5, 6]');
  });

  test('bmm rejects batch dimensions that cannot broadcast', () => {
    expect(() => bmm(zeros(2, 3, 4), zeros(3, 4, 5))).toThrow('bmm: shapes [2] and [3] cannot be broadcast');
  });

  test('causalMask rejects non-square scores', () => {
    expect(() => causalMask(zeros(2, 3, 4))).toThrow('causalMask: scores must be square in its last two axes [..., T, T], got shape [2, 3, 4].');
  });

  test('gelu rejects an unknown approximation', () => {
    expect(() => gelu(zeros(2), 'sigmoid' as GeluApproximation)).toThrow("gelu: approximate must be 'none' (erf) or 'tanh', got sigmoid.");
  });

  test('layerNorm rejects a weight of the wrong width', () => {
    expect(() => layerNorm(zeros(2, 4), zeros(3), null)).toThrow('layerNorm: weight must be [4] to match the last axis of x, got [3].');
  });

  test('rmsNorm rejects a negative eps', () => {
    expect(() => rmsNorm(zeros(2, 4), null, -1)).toThrow('rmsNorm: eps must be non-negative, got -1.');
  });

  test('dropout rejects p above 1', () => {
    expect(() => dropout(zeros(2), 1.5, new Rng(1), true)).toThrow('dropout: p must be a probability in [0, 1], got 1.5.');
  });

  test('softmaxWithTemperature rejects temperature 0', () => {
    expect(() => softmaxWithTemperature(zeros(2, 3), 0)).toThrow('softmaxWithTemperature: temperature must be greater than 0, got 0');
  });

  test('sequenceCrossEntropy rejects a target outside the vocabulary', () => {
    expect(() => sequenceCrossEntropy(zeros(1, 2, 3), Int32Array.of(0, 3))).toThrow(
      'sequenceCrossEntropy: targets[1] is 3, outside the vocabulary range [0, 2] of logits [1, 2, 3].',
    );
  });

  test('sequenceCrossEntropy rejects a target count that misses B·T', () => {
    expect(() => sequenceCrossEntropy(zeros(2, 2, 3), Int32Array.of(0, 1, 2))).toThrow('give one target per position, 4 in all.');
  });

  test('sequenceCrossEntropy rejects 2-D logits', () => {
    expect(() => sequenceCrossEntropy(zeros(4, 3), Int32Array.of(0, 1, 2, 0))).toThrow('sequenceCrossEntropy: logits must have 3 dimensions');
  });
});
