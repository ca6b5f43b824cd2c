import { formatShape, Tensor } from '../tensor/tensor';
import { checkTensor } from './validate';

/**
 * Hides the future from attention: sets every score at query i and key j > i
 * of `scores` [..., T, T] to −Infinity, so a softmax over the last axis gives
 * those positions a weight of exactly 0. The diagonal stays, so every row
 * keeps at least one finite score. Masked positions pass no gradient.
 */
export function causalMask(scores: Tensor): Tensor {
  checkTensor('causalMask', 'scores', scores);
  if (scores.rank < 2 || scores.shape[scores.rank - 1] !== scores.shape[scores.rank - 2]) {
    throw new Error(`causalMask: scores must be square in its last two axes [..., T, T], got shape ${formatShape(scores.shape)}.`);
  }
  const length = scores.shape[scores.rank - 1];
  const matrixSize = length * length;
  const data = scores.data.slice();
  for (let start = 0; start < data.length; start += matrixSize) {
    for (let i = 0; i < length; i++) data.fill(-Infinity, start + i * length + i + 1, start + (i + 1) * length);
  }

  const result: Tensor = new Tensor(data, scores.shape, {
    op: 'causalMask',
    parents: [scores],
    backwardFn: () => {
      const gradScores = result.grad!.slice(); // [..., T, T]
      for (let start = 0; start < gradScores.length; start += matrixSize) {
        for (let i = 0; i < length; i++) gradScores.fill(0, start + i * length + i + 1, start + (i + 1) * length);
      }
      scores.accumulateGrad(gradScores);
    },
  });
  return result;
}
