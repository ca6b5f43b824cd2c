import { formatShape, shapeElementCount, Tensor, type Shape } from '../tensor/tensor';
import { checkTensor } from './validate';

/**
 * Gives `a` a new shape with the same elements in the same row-major order.
 * One dimension may be -1, and is then inferred. The result shares `a`'s data buffer.
 */
export function reshape(a: Tensor, shape: Shape): Tensor {
  checkTensor('reshape', 'a', a);
  const outShape = resolveShape(a, shape);

  const result: Tensor = new Tensor(a.data, outShape, {
    op: 'reshape',
    parents: [a],
    backwardFn: () => a.accumulateGrad(result.grad!), // outShape -> a.shape, same element order
  });
  return result;
}

function resolveShape(a: Tensor, shape: Shape): number[] {
  if (!Array.isArray(shape)) throw new Error(`reshape: shape must be an array of dimensions, got ${String(shape)}.`);
  let inferredAxis = -1;
  let knownCount = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i];
    if (dim === -1) {
      if (inferredAxis !== -1) throw new Error(`reshape: shape ${formatShape(shape)} has more than one -1; at most one dimension can be inferred.`);
      inferredAxis = i;
      continue;
    }
    if (!Number.isInteger(dim) || dim < 0) {
      throw new Error(`reshape: dimension ${i} of shape ${formatShape(shape)} is ${dim}; use a non-negative integer or -1.`);
    }
    knownCount *= dim;
  }

  const result = [...shape];
  if (inferredAxis !== -1) {
    if (knownCount === 0 || a.numel % knownCount !== 0) {
      throw new Error(`reshape: cannot infer the -1 in ${formatShape(shape)} for a of shape ${formatShape(a.shape)} with ${a.numel} elements.`);
    }
    result[inferredAxis] = a.numel / knownCount;
  }
  if (shapeElementCount(result) !== a.numel) {
    throw new Error(
      `reshape: a of shape ${formatShape(a.shape)} has ${a.numel} elements but shape ${formatShape(shape)} needs ${shapeElementCount(result)}.`,
    );
  }
  return result;
}
