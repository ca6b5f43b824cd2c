import { shapeElementCount, Tensor } from '../tensor/tensor';
import { broadcastShapes, forEachBroadcastRow, sumToShape } from '../tensor/shape';
import { checkTensor } from './validate';

/** Subtracts `b` from `a` elementwise with NumPy broadcasting. */
export function sub(a: Tensor, b: Tensor): Tensor {
  checkTensor('sub', 'a', a);
  checkTensor('sub', 'b', b);
  const outShape = broadcastShapes('sub', a.shape, b.shape);

  const data = new Float32Array(shapeElementCount(outShape));
  const aData = a.data;
  const bData = b.data;
  // a.shape and b.shape -> outShape
  forEachBroadcastRow(outShape, a.shape, b.shape, (outStart, aStart, aStep, bStart, bStep, length) => {
    for (let i = 0; i < length; i++) data[outStart + i] = aData[aStart + i * aStep] - bData[bStart + i * bStep];
  });

  const result: Tensor = new Tensor(data, outShape, {
    op: 'sub',
    parents: [a, b],
    backwardFn: () => {
      const grad = result.grad!;
      if (a.requiresGrad) a.accumulateGrad(sumToShape(grad, outShape, a.shape)); // [out] -> a.shape
      if (b.requiresGrad) {
        const negated = new Float32Array(grad.length);
        for (let i = 0; i < grad.length; i++) negated[i] = -grad[i];
        b.accumulateGrad(sumToShape(negated, outShape, b.shape)); // [out] -> b.shape
      }
    },
  });
  return result;
}
