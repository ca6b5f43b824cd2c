import { shapeElementCount, Tensor } from '../tensor/tensor';
import { broadcastShapes, forEachBroadcastRow, sumToShape } from '../tensor/shape';
import { checkTensor } from './validate';

/** Adds two tensors elementwise with NumPy broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor {
  checkTensor('add', 'a', a);
  checkTensor('add', 'b', b);
  const outShape = broadcastShapes('add', a.shape, b.shape);

  const data = new Float32Array(shapeElementCount(outShape));
  const aData = a.data;
  const bData = b.data;
  // a.shape and b.shape -> outShape
  forEachBroadcastRow(outShape, a.shape, b.shape, (outStart, aStart, aStep, bStart, bStep, length) => {
    for (let i = 0; i < length; i++) data[outStart + i] = aData[aStart + i * aStep] + bData[bStart + i * bStep];
  });

  const result: Tensor = new Tensor(data, outShape, {
    op: 'add',
    parents: [a, b],
    backwardFn: () => {
      const grad = result.grad!;
      if (a.requiresGrad) a.accumulateGrad(sumToShape(grad, outShape, a.shape)); // [out] -> a.shape
      if (b.requiresGrad) b.accumulateGrad(sumToShape(grad, outShape, b.shape)); // [out] -> b.shape
    },
  });
  return result;
}
