import { Tensor } from '../tensor/tensor';
import { normalizeAxis, splitAtAxis } from '../tensor/shape';
import { checkTensor } from './validate';

/** Normalises `a` along `axis` into probabilities. Subtracting the maximum first keeps exp from overflowing on finite inputs. */
export function softmax(a: Tensor, axis = -1): Tensor {
  checkTensor('softmax', 'a', a);
  const dim = normalizeAxis('softmax', axis, a.rank);
  const { outer, size, inner } = splitAtAxis(a.shape, dim); // a as [outer, size, inner]
  const aData = a.data;
  const data = new Float32Array(aData.length);

  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const start = o * size * inner + j;
      let max = -Infinity;
      for (let s = 0; s < size; s++) max = Math.max(max, aData[start + s * inner]);
      let total = 0;
      for (let s = 0; s < size; s++) {
        const e = Math.exp(aData[start + s * inner] - max);
        data[start + s * inner] = e;
        total += e;
      }
      for (let s = 0; s < size; s++) data[start + s * inner] /= total;
    }
  }

  const result: Tensor = new Tensor(data, a.shape, {
    op: 'softmax',
    parents: [a],
    backwardFn: () => {
      // dx = y · (dy − Σ dy·y) along the axis.
      const grad = result.grad!;
      const gradA = new Float32Array(grad.length);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < inner; j++) {
          const start = o * size * inner + j;
          let dot = 0;
          for (let s = 0; s < size; s++) dot += grad[start + s * inner] * data[start + s * inner];
          for (let s = 0; s < size; s++) {
            const index = start + s * inner;
            gradA[index] = data[index] * (grad[index] - dot);
          }
        }
      }
      a.accumulateGrad(gradA);
    },
  });
  return result;
}
