import { formatShape, Tensor, type Shape } from '../tensor/tensor';
import { normalizeAxis } from '../tensor/shape';
import { checkTensor } from './validate';

/**
 * Reorders the axes of `a`: axis i of the result is axis `axes[i]` of `a`, as
 * in torch.permute. Negative axes count from the end. The result is a copy in
 * row-major order of its own shape.
 */
export function permute(a: Tensor, axes: readonly number[]): Tensor {
  checkTensor('permute', 'a', a);
  const order = normalizePermutation(a.shape, axes);
  const outShape = order.map((axis) => a.shape[axis]); // a.shape reordered by `order`
  const data = permuteData(a.data, a.shape, order);

  const inverse = new Array<number>(order.length);
  order.forEach((axis, i) => (inverse[axis] = i));
  const result: Tensor = new Tensor(data, outShape, {
    op: 'permute',
    parents: [a],
    backwardFn: () => a.accumulateGrad(permuteData(result.grad!, outShape, inverse)), // outShape -> a.shape
  });
  return result;
}

function normalizePermutation(shape: Shape, axes: readonly number[]): number[] {
  if (!Array.isArray(axes) || axes.length !== shape.length) {
    throw new Error(`permute: axes must list each of the ${shape.length} axes of a ${formatShape(shape)} once, got ${String(axes)}.`);
  }
  const order = axes.map((axis) => normalizeAxis('permute', axis, shape.length));
  if (new Set(order).size !== order.length) {
    throw new Error(`permute: axes [${axes.join(', ')}] repeat an axis; list each of the ${shape.length} axes of a ${formatShape(shape)} once.`);
  }
  return order;
}

/** Returns `source` of shape `shape` with its axes reordered by `order`, in row-major order. */
function permuteData(source: Float32Array, shape: Shape, order: readonly number[]): Float32Array {
  const rank = shape.length;
  const out = new Float32Array(source.length);
  if (rank === 0 || source.length === 0) {
    out.set(source);
    return out;
  }

  const sourceStrides = new Array<number>(rank);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    sourceStrides[d] = stride;
    stride *= shape[d];
  }
  const outShape = order.map((axis) => shape[axis]);
  const steps = order.map((axis) => sourceStrides[axis]); // source stride of each output axis
  const index = new Array<number>(rank).fill(0);
  const lastSize = outShape[rank - 1];
  const lastStep = steps[rank - 1];
  let sourceStart = 0;

  for (let outStart = 0; outStart < out.length; outStart += lastSize) {
    for (let i = 0; i < lastSize; i++) out[outStart + i] = source[sourceStart + i * lastStep];

    // Advance the multi-index over the output axes before the last, like an odometer.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      sourceStart += steps[d];
      if (index[d] < outShape[d]) break;
      sourceStart -= steps[d] * outShape[d];
      index[d] = 0;
    }
  }
  return out;
}
