import { Tensor } from '../tensor/tensor';
import { normalizeAxis, reducedShape, splitAtAxis } from '../tensor/shape';
import { checkTensor } from './validate';

/**
 * Sums `a` along `axis` (negative counts from the end), or over all elements
 * into a scalar of shape [] when `axis` is undefined. `keepDims` keeps the
 * reduced axes with size 1.
 */
export function sum(a: Tensor, axis?: number, keepDims = false): Tensor {
  checkTensor('sum', 'a', a);
  const aData = a.data;

  if (axis === undefined) {
    let total = 0;
    for (let i = 0; i < aData.length; i++) total += aData[i];
    const outShape = keepDims ? a.shape.map(() => 1) : []; // [] or [1, ..., 1]
    const result: Tensor = new Tensor(Float32Array.of(total), outShape, {
      op: 'sum',
      parents: [a],
      backwardFn: () => a.accumulateGrad(new Float32Array(a.numel).fill(result.grad![0])), // [] -> a.shape
    });
    return result;
  }

  const dim = normalizeAxis('sum', axis, a.rank);
  const { outer, size, inner } = splitAtAxis(a.shape, dim); // a as [outer, size, inner]
  const data = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < size; s++) {
      const source = (o * size + s) * inner;
      for (let j = 0; j < inner; j++) data[o * inner + j] += aData[source + j];
    }
  }

  const result: Tensor = new Tensor(data, reducedShape(a.shape, dim, keepDims), {
    op: 'sum',
    parents: [a],
    backwardFn: () => {
      const grad = result.grad!;
      const gradA = new Float32Array(a.numel);
      // Repeat the [outer, inner] gradient along the summed axis: [outer, 1, inner] -> [outer, size, inner].
      for (let o = 0; o < outer; o++) {
        for (let s = 0; s < size; s++) {
          const target = (o * size + s) * inner;
          for (let j = 0; j < inner; j++) gradA[target + j] = grad[o * inner + j];
        }
      }
      a.accumulateGrad(gradA);
    },
  });
  return result;
}
