import { describe, expect, test } from 'vitest';
import { noGrad, Tensor } from '../../src/engine/tensor/tensor';
import { add } from '../../src/engine/ops/add';
import { matmul } from '../../src/engine/ops/matmul';
import { mul } from '../../src/engine/ops/mul';
import { relu } from '../../src/engine/ops/relu';
import { reshape } from '../../src/engine/ops/reshape';
import { sum } from '../../src/engine/ops/sum';
import { broadcastShapes, sumToShape } from '../../src/engine/tensor/shape';

describe('autograd through the ops', () => {
  test('tensor used twice accumulates both gradients', () => {
    const x = Tensor.from([1, 2, 3], [3], true);
    sum(mul(x, x)).backward();
    expect([...x.grad!]).toEqual([2, 4, 6]);
  });

  test('constant input receives no gradient', () => {
    const x = Tensor.from([1, 2], [2], true);
    const constant = Tensor.from([3, 4], [2]);
    sum(mul(x, constant)).backward();
    expect(constant.grad).toBeNull();
  });

  test('noGrad builds results without a graph', () => {
    const x = Tensor.from([1, 2], [2], true);
    const y = noGrad(() => relu(add(x, x)));
    expect(y.requiresGrad).toBe(false);
  });

  test('noGrad result rejects backward', () => {
    const x = Tensor.from([1, 2], [2], true);
    const y = noGrad(() => sum(x));
    expect(() => y.backward()).toThrow('backward() called on a tensor that does not require gradients (op sum).');
  });

  test('reshape shares the data buffer', () => {
    const x = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(reshape(x, [3, 2]).data).toBe(x.data);
  });

  test('gradients flow through a reshaped matmul', () => {
    const x = Tensor.from([1, 2, 3, 4], [4], true);
    const w = Tensor.from([1, 0, 0, 1], [2, 2]);
    sum(matmul(reshape(x, [2, 2]), w)).backward(); // [2, 2]·[2, 2]
    expect([...x.grad!]).toEqual([1, 1, 1, 1]);
  });

  test('sum without axis returns a scalar of shape []', () => {
    expect([...sum(Tensor.from([1, 2, 3, 4], [2, 2])).shape]).toEqual([]);
  });
});

describe('broadcasting helpers', () => {
  test('broadcastShapes aligns trailing dimensions', () => {
    expect(broadcastShapes('test', [2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
  });

  test('broadcastShapes treats a scalar as broadcastable to anything', () => {
    expect(broadcastShapes('test', [], [5, 2])).toEqual([5, 2]);
  });

  test('sumToShape sums repeated and added dimensions', () => {
    // [2, 3] of ones reduced to [1, 3] sums each column of two rows.
    expect([...sumToShape(new Float32Array(6).fill(1), [2, 3], [1, 3])]).toEqual([2, 2, 2]);
  });

  test('sumToShape reduces to a scalar', () => {
    expect([...sumToShape(Float32Array.of(1, 2, 3, 4), [2, 2], [])]).toEqual([10]);
  });
});

describe('ops index', () => {
  test('ops index re-exports every core op', async () => {
    const index: Record<string, unknown> = await import('../../src/engine/ops');
    const core = ['add', 'sub', 'mul', 'div', 'scale', 'sum', 'mean', 'reshape', 'matmul', 'linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'logSoftmax', 'mseLoss', 'softmaxCrossEntropy'];
    expect(core.filter((name) => typeof index[name] !== 'function')).toEqual([]);
  });
});
