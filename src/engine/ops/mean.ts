import { formatShape, Tensor } from '../tensor/tensor';
import { normalizeAxis, reducedShape, splitAtAxis } from '../tensor/shape';
import { checkTensor } from './validate';

/**
 * Averages `a` along `axis` (negative counts from the end), or over all
 * elements into a scalar of shape [] when `axis` is undefined. `keepDims`
 * keeps the reduced axes with size 1.
 */
export function mean(a: Tensor, axis?: number, keepDims = false): Tensor {
  checkTensor('mean', 'a', a);
  const aData = a.data;

  if (axis === undefined) {
    if (a.numel === 0) throw new Error(`mean: a is empty (shape ${formatShape(a.shape)}), so it has no mean.`);
    let total = 0;
    for (let i = 0; i < aData.length; i++) total += aData[i];
    const count = a.numel;
    const outShape = keepDims ? a.shape.map(() => 1) : []; // [] or [1, ..., 1]
    const result: Tensor = new Tensor(Float32Array.of(total / count), outShape, {
      op: 'mean',
      parents: [a],
      backwardFn: () => a.accumulateGrad(new Float32Array(count).fill(result.grad![0] / count)), // [] -> a.shape
    });
    return result;
  }

  const dim = normalizeAxis('mean', axis, a.rank);
  const { outer, size, inner } = splitAtAxis(a.shape, dim); // a as [outer, size, inner]
  if (size === 0) throw new Error(`mean: axis ${axis} of a has size 0 (shape ${formatShape(a.shape)}), so it has no mean.`);
  const data = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < size; s++) {
      const source = (o * size + s) * inner;
      for (let j = 0; j < inner; j++) data[o * inner + j] += aData[source + j];
    }
  }
  for (let i = 0; i < data.length; i++) data[i] /= size;

  const result: Tensor = new Tensor(data, reducedShape(a.shape, dim, keepDims), {
    op: 'mean',
    parents: [a],
    backwardFn: () => {
      const grad = result.grad!;
      const gradA = new Float32Array(a.numel);
      // Spread the [outer, inner] gradient evenly along the axis: [outer, 1, inner] -> [outer, size, inner].
      for (let o = 0; o < outer; o++) {
        for (let s = 0; s < size; s++) {
          const target = (o * size + s) * inner;
          for (let j = 0; j < inner; j++) gradA[target + j] = grad[o * inner + j] / size;
        }
      }
      a.accumulateGrad(gradA);
    },
  });
  return result;
}
