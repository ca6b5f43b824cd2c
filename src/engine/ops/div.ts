import { shapeElementCount, Tensor } from '../tensor/tensor';
import { broadcastShapes, forEachBroadcastRow, sumToShape } from '../tensor/shape';
import { checkTensor } from './validate';

/** Divides `a` by `b` elementwise with NumPy broadcasting. Division by zero follows IEEE 754 (±Infinity or NaN). */
export function div(a: Tensor, b: Tensor): Tensor {
  checkTensor('div', 'a', a);
  checkTensor('div', 'b', b);
  const outShape = broadcastShapes('div', a.shape, b.shape);

  const data = new Float32Array(shapeElementCount(outShape));
  const aData = a.data;
  const bData = b.data;
  // a.shape and b.shape -> outShape
  forEachBroadcastRow(outShape, a.shape, b.shape, (outStart, aStart, aStep, bStart, bStep, length) => {
    for (let i = 0; i < length; i++) data[outStart + i] = aData[aStart + i * aStep] / bData[bStart + i * bStep];
  });

  const result: Tensor = new Tensor(data, outShape, {
    op: 'div',
    parents: [a, b],
    backwardFn: () => {
      const grad = result.grad!;
      // d(a/b)/da = 1/b and d(a/b)/db = -a/b², both at the output shape before reduction.
      const gradA = a.requiresGrad ? new Float32Array(data.length) : null;
      const gradB = b.requiresGrad ? new Float32Array(data.length) : null;
      // a.shape and b.shape -> outShape
  forEachBroadcastRow(outShape, a.shape, b.shape, (outStart, aStart, aStep, bStart, bStep, length) => {
        for (let i = 0; i < length; i++) {
          const denominator = bData[bStart + i * bStep];
          const g = grad[outStart + i];
          if (gradA !== null) gradA[outStart + i] = g / denominator;
          if (gradB !== null) gradB[outStart + i] = (-g * aData[aStart + i * aStep]) / (denominator * denominator);
        }
      });
      if (gradA !== null) a.accumulateGrad(sumToShape(gradA, outShape, a.shape)); // [out] -> a.shape
      if (gradB !== null) b.accumulateGrad(sumToShape(gradB, outShape, b.shape)); // [out] -> b.shape
    },
  });
  return result;
}
