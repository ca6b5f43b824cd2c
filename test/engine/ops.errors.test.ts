import { describe, expect, test } from 'vitest';
import { Tensor } from '../../src/engine/tensor/tensor';
import { add } from '../../src/engine/ops/add';
import { div } from '../../src/engine/ops/div';
import { linear } from '../../src/engine/ops/linear';
import { logSoftmax } from '../../src/engine/ops/logsoftmax';
import { matmul } from '../../src/engine/ops/matmul';
import { mean } from '../../src/engine/ops/mean';
import { mseLoss } from '../../src/engine/ops/mse';
import { mul } from '../../src/engine/ops/mul';
import { reshape } from '../../src/engine/ops/reshape';
import { scale } from '../../src/engine/ops/scale';
import { softmax } from '../../src/engine/ops/softmax';
import { softmaxCrossEntropy } from '../../src/engine/ops/crossentropy';
import { sub } from '../../src/engine/ops/sub';
import { sum } from '../../src/engine/ops/sum';

const zeros = (...shape: number[]) => Tensor.zeros(shape);

describe('op argument errors', () => {
  test('matmul rejects differing inner dimensions', () => {
    expect(() => matmul(zeros(2, 3), zeros(4, 5))).toThrow('matmul: inner dimensions differ, a is [2, 3] and b is [4, 5].');
  });

  test('matmul rejects a vector as a', () => {
    expect(() => matmul(zeros(3), zeros(3, 2))).toThrow('matmul: a must have at least 2 dimensions [..., M, K], got shape [3].');
  });

  test('matmul rejects differing batch dimensions', () => {
    expect(() => matmul(zeros(2, 3, 4), zeros(3, 4, 5))).toThrow(
      'matmul: batch dimensions differ, a is [2, 3, 4] and b is [3, 4, 5]; a batched b needs the same leading dimensions as a.',
    );
  });

  test('matmul rejects a batched b against an unbatched a', () => {
    expect(() => matmul(zeros(3, 4), zeros(2, 4, 5))).toThrow(/^matmul: batch dimensions differ, a is \[3, 4\] and b is \[2, 4, 5\]/);
  });

  test('matmul rejects a vector as b', () => {
    expect(() => matmul(zeros(2, 3), zeros(3))).toThrow('matmul: b must have at least 2 dimensions [K, N] or [..., K, N], got shape [3].');
  });

  test('matmul rejects a non-tensor argument', () => {
    expect(() => matmul(zeros(2, 2), [1, 2] as unknown as Tensor)).toThrow('matmul: b must be a Tensor, got object.');
  });

  test('linear rejects mismatched input features', () => {
    expect(() => linear(zeros(4, 3), zeros(2, 5))).toThrow(
      'linear: x has 3 input features but weight expects 5; x is [4, 3] and weight is [2, 5].',
    );
  });

  test('linear rejects a bias of the wrong length', () => {
    expect(() => linear(zeros(4, 3), zeros(2, 3), zeros(3))).toThrow('linear: bias must be [2] to match weight [2, 3], got [3].');
  });

  test('add rejects shapes that cannot broadcast', () => {
    expect(() => add(zeros(2, 3), zeros(4))).toThrow(
      'add: shapes [2, 3] and [4] cannot be broadcast, because dimension -1 is 3 in a and 4 in b. Each dimension must match or be 1.',
    );
  });

  test('sub, mul and div name themselves in broadcast errors', () => {
    expect(() => sub(zeros(2), zeros(3))).toThrow(/^sub: shapes \[2\] and \[3\]/);
    expect(() => mul(zeros(2), zeros(3))).toThrow(/^mul: shapes \[2\] and \[3\]/);
    expect(() => div(zeros(2), zeros(3))).toThrow(/^div: shapes \[2\] and \[3\]/);
  });

  test('scale rejects a non-finite factor', () => {
    expect(() => scale(zeros(2), Number.NaN)).toThrow('scale: factor must be a finite number, got NaN.');
  });

  test('sum rejects an axis out of range', () => {
    expect(() => sum(zeros(2, 3), 2)).toThrow('sum: axis 2 is out of range for a tensor of rank 2; valid axes are [-2, 1].');
  });

  test('sum rejects a fractional axis', () => {
    expect(() => sum(zeros(2, 3), 0.5)).toThrow('sum: axis 0.5 is out of range');
  });

  test('mean rejects an axis on a scalar', () => {
    expect(() => mean(Tensor.scalar(1), 0)).toThrow('mean: axis 0 is out of range for a tensor of rank 0; valid axes are none, because the tensor is a scalar.');
  });

  test('mean rejects an empty tensor', () => {
    expect(() => mean(zeros(0, 3))).toThrow('mean: a is empty (shape [0, 3]), so it has no mean.');
  });

  test('reshape rejects a wrong element count', () => {
    expect(() => reshape(zeros(2, 3), [4, 2])).toThrow('reshape: a of shape [2, 3] has 6 elements but shape [4, 2] needs 8.');
  });

  test('reshape rejects two inferred dimensions', () => {
    expect(() => reshape(zeros(2, 3), [-1, -1])).toThrow('reshape: shape [-1, -1] has more than one -1; at most one dimension can be inferred.');
  });

  test('reshape rejects an inferred dimension that does not divide', () => {
    expect(() => reshape(zeros(2, 3), [4, -1])).toThrow('reshape: cannot infer the -1 in [4, -1] for a of shape [2, 3] with 6 elements.');
  });

  test('reshape rejects a negative dimension', () => {
    expect(() => reshape(zeros(2, 3), [-2, -3])).toThrow('reshape: dimension 0 of shape [-2, -3] is -2; use a non-negative integer or -1.');
  });

  test('softmax rejects an axis out of range', () => {
    expect(() => softmax(zeros(2, 3), -3)).toThrow('softmax: axis -3 is out of range for a tensor of rank 2; valid axes are [-2, 1].');
  });

  test('logSoftmax rejects an axis out of range', () => {
    expect(() => logSoftmax(zeros(2, 3), 2)).toThrow(/^logSoftmax: axis 2 is out of range/);
  });

  test('mseLoss rejects mismatched shapes', () => {
    expect(() => mseLoss(zeros(4, 1), zeros(4))).toThrow(
      'mseLoss: prediction is [4, 1] and target is [4]; the shapes must match exactly (no broadcasting).',
    );
  });

  test('mseLoss rejects empty tensors', () => {
    expect(() => mseLoss(zeros(0), zeros(0))).toThrow('mseLoss: prediction is empty (shape [0]), so the mean is undefined.');
  });

  test('softmaxCrossEntropy rejects a label out of range', () => {
    expect(() => softmaxCrossEntropy(zeros(3, 4), Int32Array.of(0, 4, 1))).toThrow(
      'softmaxCrossEntropy: labels[1] is 4, outside the class range [0, 3] of logits [3, 4].',
    );
  });

  test('softmaxCrossEntropy rejects a negative label', () => {
    expect(() => softmaxCrossEntropy(zeros(2, 4), Int32Array.of(-1, 0))).toThrow(/labels\[0\] is -1, outside the class range/);
  });

  test('softmaxCrossEntropy rejects a label count that differs from the batch', () => {
    expect(() => softmaxCrossEntropy(zeros(3, 4), Int32Array.of(0, 1))).toThrow(
      'softmaxCrossEntropy: logits is [3, 4] but labels has 2 entries; give one label per row of logits.',
    );
  });

  test('softmaxCrossEntropy rejects labels that are not an Int32Array', () => {
    expect(() => softmaxCrossEntropy(zeros(2, 4), [0, 1] as unknown as Int32Array)).toThrow(
      'softmaxCrossEntropy: labels must be an Int32Array of class indices, got object.',
    );
  });

  test('softmaxCrossEntropy rejects logits that are not 2-D', () => {
    expect(() => softmaxCrossEntropy(zeros(4), Int32Array.of(0))).toThrow('softmaxCrossEntropy: logits must have 2 dimensions, got shape [4].');
  });
});
