import { Tensor } from '../tensor/tensor';
import { normalizeAxis, splitAtAxis } from '../tensor/shape';
import { checkTensor } from './validate';

/** Returns log(softmax(a)) along `axis`, computed as a − max − log Σ exp(a − max) so it stays finite. */
export function logSoftmax(a: Tensor, axis = -1): Tensor {
  checkTensor('logSoftmax', 'a', a);
  const dim = normalizeAxis('logSoftmax', axis, a.rank);
  const { outer, size, inner } = splitAtAxis(a.shape, dim); // a as [outer, size, inner]
  const aData = a.data;
  const data = new Float32Array(aData.length);

  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const start = o * size * inner + j;
      let max = -Infinity;
      for (let s = 0; s < size; s++) max = Math.max(max, aData[start + s * inner]);
      let total = 0;
      for (let s = 0; s < size; s++) total += Math.exp(aData[start + s * inner] - max);
      const logTotal = Math.log(total) + max;
      for (let s = 0; s < size; s++) data[start + s * inner] = aData[start + s * inner] - logTotal;
    }
  }

  const result: Tensor = new Tensor(data, a.shape, {
    op: 'logSoftmax',
    parents: [a],
    backwardFn: () => {
      // dx = dy − softmax · Σ dy along the axis, with softmax = exp(y).
      const grad = result.grad!;
      const gradA = new Float32Array(grad.length);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < inner; j++) {
          const start = o * size * inner + j;
          let gradTotal = 0;
          for (let s = 0; s < size; s++) gradTotal += grad[start + s * inner];
          for (let s = 0; s < size; s++) {
            const index = start + s * inner;
            gradA[index] = grad[index] - Math.exp(data[index]) * gradTotal;
          }
        }
      }
      a.accumulateGrad(gradA);
    },
  });
  return result;
}
