import { formatShape, Tensor } from '../tensor/tensor';
import { normalizeAxis, splitAtAxis } from '../tensor/shape';
import { checkTensor } from './validate';

/**
 * Joins `tensors` along `axis`, as torch.cat does. Every tensor must have the
 * same rank and the same length on every other axis.
 */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new Error(`concat: tensors must be a non-empty array of Tensors, got ${String(tensors)}.`);
  }
  for (let i = 0; i < tensors.length; i++) checkTensor('concat', `tensors[${i}]`, tensors[i]);
  const first = tensors[0];
  const dim = normalizeAxis('concat', axis, first.rank);
  tensors.forEach((tensor: Tensor, i) => {
    const matches = tensor.rank === first.rank && tensor.shape.every((length: number, d: number) => d === dim || length === first.shape[d]);
    if (!matches) {
      throw new Error(
        `concat: tensors[${i}] is ${formatShape(tensor.shape)} but tensors[0] is ${formatShape(first.shape)}; every tensor needs the same rank and the same length on every axis except axis ${axis}.`,
      );
    }
  });

  const { outer, inner } = splitAtAxis(first.shape, dim);
  const sizes = tensors.map((tensor) => tensor.shape[dim]);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const outShape = [...first.shape];
  outShape[dim] = total; // [..., Σ sizes, ...]
  const data = new Float32Array(outer * total * inner);
  let offset = 0;
  tensors.forEach((tensor, i) => {
    const block = sizes[i] * inner;
    for (let o = 0; o < outer; o++) data.set(tensor.data.subarray(o * block, (o + 1) * block), (o * total + offset) * inner);
    offset += sizes[i];
  });

  const result: Tensor = new Tensor(data, outShape, {
    op: 'concat',
    parents: tensors,
    backwardFn: () => {
      const grad = result.grad!; // [outer, total, inner]
      let start = 0;
      tensors.forEach((tensor, i) => {
        const block = sizes[i] * inner;
        if (tensor.requiresGrad) {
          const gradPiece = new Float32Array(tensor.numel); // [outer, sizes[i], inner]
          for (let o = 0; o < outer; o++) gradPiece.set(grad.subarray((o * total + start) * inner, (o * total + start) * inner + block), o * block);
          tensor.accumulateGrad(gradPiece);
        }
        start += sizes[i];
      });
    },
  });
  return result;
}
