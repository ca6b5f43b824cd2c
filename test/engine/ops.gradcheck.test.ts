import { describe, expect, test } from 'vitest';
import { Tensor } from '../../src/engine/tensor/tensor';
import { Rng } from '../../src/engine/tensor/random';
import { add } from '../../src/engine/ops/add';
import { linear } from '../../src/engine/ops/linear';
import { matmul } from '../../src/engine/ops/matmul';
import { mean } from '../../src/engine/ops/mean';
import { mul } from '../../src/engine/ops/mul';
import { relu } from '../../src/engine/ops/relu';
import { reshape } from '../../src/engine/ops/reshape';
import { softmaxCrossEntropy } from '../../src/engine/ops/crossentropy';
import { sum } from '../../src/engine/ops/sum';
import { tanh } from '../../src/engine/ops/tanh';
import { decode, loadOpCases, OP_RUNNERS } from './fixtures';
import { gradientMismatches } from './gradcheck';

function randomTensor(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(shape.reduce((count, dim) => count * dim, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return new Tensor(data, shape);
}

describe('ops against finite differences', () => {
  for (const entry of loadOpCases()) {
    test(`${entry.name} backward matches finite differences`, () => {
      const inputs = entry.inputs.map((input) => decode(input));
      expect(gradientMismatches((leaves) => OP_RUNNERS[entry.op](leaves, entry.attributes), inputs)).toEqual([]);
    });
  }

  test('matmul backward matches finite differences at kernel block edges', () => {
    const a = randomTensor([6, 70], 1);
    const b = randomTensor([70, 5], 2);
    expect(gradientMismatches(([x, y]) => matmul(x, y), [a, b])).toEqual([]);
  });

  test('linear backward matches finite differences for one row', () => {
    const inputs = [randomTensor([1, 5], 3), randomTensor([3, 5], 4), randomTensor([3], 5)];
    expect(gradientMismatches(([x, w, b]) => linear(x, w, b), inputs)).toEqual([]);
  });

  test('mul backward matches finite differences with a scalar', () => {
    const inputs = [randomTensor([2, 3], 6), randomTensor([], 7)];
    expect(gradientMismatches(([a, b]) => mul(a, b), inputs)).toEqual([]);
  });

  test('sum backward matches finite differences on a scalar', () => {
    expect(gradientMismatches(([a]) => sum(a), [randomTensor([], 8)])).toEqual([]);
  });

  test('mean backward matches finite differences with keepDims over all elements', () => {
    expect(gradientMismatches(([a]) => mean(a, undefined, true), [randomTensor([2, 3], 9)])).toEqual([]);
  });

  test('composite graph backward matches finite differences', () => {
    // A tensor used twice (x feeds both branches) must receive both gradients.
    const inputs = [randomTensor([4, 3], 10), randomTensor([5, 3], 11), randomTensor([5], 12)];
    const labels = Int32Array.of(0, 4, 2, 1);
    const compute = ([x, w, b]: Tensor[]) => {
      const hidden = tanh(linear(x, w, b)); // [4, 5]
      const skip = relu(reshape(matmul(x, reshape(w, [3, 5])), [4, 5])); // [4, 5]
      return softmaxCrossEntropy(add(hidden, skip), labels);
    };
    expect(gradientMismatches(compute, inputs)).toEqual([]);
  });

  test('gradientMismatches reports a wrong backward', () => {
    // Doubles its input but reports a gradient of 1 instead of 2.
    const wrongDouble = ([a]: Tensor[]) => {
      const result: Tensor = new Tensor(a.data.map((value) => 2 * value), a.shape, {
        op: 'wrongDouble',
        parents: [a],
        backwardFn: () => a.accumulateGrad(result.grad!),
      });
      return result;
    };
    expect(gradientMismatches(wrongDouble, [randomTensor([3], 13)])).toHaveLength(3);
  });
});
