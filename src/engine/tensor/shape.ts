/**
 * Shape arithmetic shared by the ops: axis normalisation, NumPy broadcasting,
 * and the reduction of a broadcast gradient back to an input's shape.
 */

import { formatShape, shapeElementCount, type Shape } from './tensor';

/** Turns a possibly negative `axis` into an index in [0, rank), or throws naming the op. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const range = rank === 0 ? 'none, because the tensor is a scalar' : `[${-rank}, ${rank - 1}]`;
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}; valid axes are ${range}.`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Splits `shape` around `axis` into the element counts before it, along it and
 * after it, so a row-major tensor reads as [outer, size, inner].
 */
export function splitAtAxis(shape: Shape, axis: number): { outer: number; size: number; inner: number } {
  return {
    outer: shapeElementCount(shape.slice(0, axis)),
    size: shape[axis],
    inner: shapeElementCount(shape.slice(axis + 1)),
  };
}

/** Returns the NumPy broadcast of two shapes, or throws naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const result = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const aDim = a[a.length - rank + i] ?? 1;
    const bDim = b[b.length - rank + i] ?? 1;
    if (aDim !== bDim && aDim !== 1 && bDim !== 1) {
      throw new Error(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast, because dimension ${i - rank} is ${aDim} in a and ${bDim} in b. Each dimension must match or be 1.`,
      );
    }
    result[i] = aDim === 1 ? bDim : aDim;
  }
  return result;
}

/** Strides of `shape` as seen through a broadcast to `outShape`: 0 where a dimension is repeated. */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const outIndex = outShape.length - shape.length + i;
    strides[outIndex] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/**
 * Visits a broadcast of `aShape` and `bShape` to `outShape` one row at a time.
 * For each row `visit` gets the row's start in the output, the start and step
 * (0 or 1) of the matching elements of a and b, and the row length. The op's
 * arithmetic then runs in a plain loop rather than a callback per element.
 */
export function forEachBroadcastRow(
  outShape: Shape,
  aShape: Shape,
  bShape: Shape,
  visit: (outStart: number, aStart: number, aStep: number, bStart: number, bStep: number, length: number) => void,
): void {
  const total = shapeElementCount(outShape);
  if (total === 0) return;

  // An input that is complete (same element count as the output) or a single
  // value needs no index arithmetic, so the whole output is one row.
  const aCount = shapeElementCount(aShape);
  const bCount = shapeElementCount(bShape);
  if ((aCount === total || aCount === 1) && (bCount === total || bCount === 1)) {
    visit(0, 0, aCount === total ? 1 : 0, 0, bCount === total ? 1 : 0, total);
    return;
  }

  const rank = outShape.length;
  const aStrides = broadcastStrides(aShape, outShape);
  const bStrides = broadcastStrides(bShape, outShape);
  const rowLength = outShape[rank - 1];
  const aStep = aStrides[rank - 1];
  const bStep = bStrides[rank - 1];
  const index = new Array<number>(rank).fill(0);
  let aStart = 0;
  let bStart = 0;

  for (let outStart = 0; outStart < total; outStart += rowLength) {
    visit(outStart, aStart, aStep, bStart, bStep, rowLength);

    // Advance the multi-index over the dimensions before the last, like an odometer.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      aStart += aStrides[d];
      bStart += bStrides[d];
      if (index[d] < outShape[d]) break;
      aStart -= aStrides[d] * outShape[d];
      bStart -= bStrides[d] * outShape[d];
      index[d] = 0;
    }
  }
}

/**
 * Sums a gradient of shape `gradShape` over the dimensions that broadcasting
 * added or repeated, giving the gradient for an input of shape `targetShape`.
 * Returns `grad` itself when no reduction is needed.
 */
export function sumToShape(grad: Float32Array, gradShape: Shape, targetShape: Shape): Float32Array {
  if (shapeElementCount(targetShape) === grad.length) return grad;

  const result = new Float32Array(shapeElementCount(targetShape));
  forEachBroadcastRow(gradShape, targetShape, [], (outStart, targetStart, targetStep, _unusedStart, _unusedStep, length) => {
    if (targetStep === 0) {
      let sum = 0;
      for (let i = 0; i < length; i++) sum += grad[outStart + i];
      result[targetStart] += sum;
      return;
    }
    for (let i = 0; i < length; i++) result[targetStart + i] += grad[outStart + i];
  });
  return result;
}

/** Shape left after reducing `axis` (already normalised): the axis removed, or kept as 1 with `keepDims`. */
export function reducedShape(shape: Shape, axis: number, keepDims: boolean): number[] {
  const result = [...shape];
  if (keepDims) result[axis] = 1;
  else result.splice(axis, 1);
  return result;
}
