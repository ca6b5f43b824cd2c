import { shapeElementCount, Tensor, type Shape } from '../tensor/tensor';
import { broadcastShapes, forEachBroadcastRow, sumToShape } from '../tensor/shape';
import { checkTensor } from './validate';

/** Multiplies two tensors elementwise with NumPy broadcasting. */
export function mul(a: Tensor, b: Tensor): Tensor {
  checkTensor('mul', 'a', a);
  checkTensor('mul', 'b', b);
  const outShape = broadcastShapes('mul', a.shape, b.shape);
  const data = multiplyBroadcast(outShape, a.data, a.shape, b.data, b.shape); // a.shape and b.shape -> outShape

  const result: Tensor = new Tensor(data, outShape, {
    op: 'mul',
    parents: [a, b],
    backwardFn: () => {
      const grad = result.grad!;
      // d(a·b)/da = b and d(a·b)/db = a, each broadcast to the output shape and summed back.
      if (a.requiresGrad) {
        const gradA = multiplyBroadcast(outShape, grad, outShape, b.data, b.shape); // b.shape -> outShape
        a.accumulateGrad(sumToShape(gradA, outShape, a.shape)); // outShape -> a.shape
      }
      if (b.requiresGrad) {
        const gradB = multiplyBroadcast(outShape, grad, outShape, a.data, a.shape); // a.shape -> outShape
        b.accumulateGrad(sumToShape(gradB, outShape, b.shape)); // outShape -> b.shape
      }
    },
  });
  return result;
}

/** Returns x·y elementwise with both broadcast to `outShape`. */
function multiplyBroadcast(outShape: Shape, x: Float32Array, xShape: Shape, y: Float32Array, yShape: Shape): Float32Array {
  const out = new Float32Array(shapeElementCount(outShape));
  forEachBroadcastRow(outShape, xShape, yShape, (outStart, xStart, xStep, yStart, yStep, length) => {
    for (let i = 0; i < length; i++) out[outStart + i] = x[xStart + i * xStep] * y[yStart + i * yStep];
  });
  return out;
}
