import { formatShape, Tensor, type Shape } from '../tensor/tensor';
import { normalizeAxis } from '../tensor/shape';
import { checkTensor } from './validate';

/** Swaps two axes of `a` (by default the last two, so [..., M, N] becomes [..., N, M]), copying the data. */
export function transpose(a: Tensor, axis0 = -2, axis1 = -1): Tensor {
  checkTensor('transpose', 'a', a);
  if (a.rank < 2) throw new Error(`transpose: a must have at least 2 dimensions, got shape ${formatShape(a.shape)}.`);
  const first = normalizeAxis('transpose', axis0, a.rank);
  const second = normalizeAxis('transpose', axis1, a.rank);
  const outShape = [...a.shape];
  outShape[first] = a.shape[second];
  outShape[second] = a.shape[first]; // a.shape with the two axes swapped

  const data = swapAxes(a.data, a.shape, first, second);
  const result: Tensor = new Tensor(data, outShape, {
    op: 'transpose',
    parents: [a],
    backwardFn: () => a.accumulateGrad(swapAxes(result.grad!, outShape, first, second)), // outShape -> a.shape
  });
  return result;
}

/** Returns a copy of row-major `data` of `shape` with axes `first` and `second` swapped. */
function swapAxes(data: Float32Array, shape: Shape, first: number, second: number): Float32Array {
  const out = new Float32Array(data.length);
  if (first === second || data.length === 0) {
    out.set(data);
    return out;
  }

  // Output strides, then the input's stride along each output axis, so one pass walks the output in order.
  const rank = shape.length;
  const inputStrides = new Array<number>(rank);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inputStrides[d] = stride;
    stride *= shape[d];
  }
  const outShape = [...shape];
  outShape[first] = shape[second];
  outShape[second] = shape[first];
  const sourceStrides = [...inputStrides];
  sourceStrides[first] = inputStrides[second];
  sourceStrides[second] = inputStrides[first];

  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let target = 0; target < out.length; target++) {
    out[target] = data[source];
    // Advance the output multi-index like an odometer, moving `source` by the matching input stride.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      source += sourceStrides[d];
      if (index[d] < outShape[d]) break;
      source -= sourceStrides[d] * outShape[d];
      index[d] = 0;
    }
  }
  return out;
}
