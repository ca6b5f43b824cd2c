import { Tensor } from '../tensor/tensor';
import { checkFiniteNumber, checkTensor } from './validate';

/** Multiplies every element of `a` by a constant `factor`. */
export function scale(a: Tensor, factor: number): Tensor {
  checkTensor('scale', 'a', a);
  checkFiniteNumber('scale', 'factor', factor);

  const data = new Float32Array(a.numel);
  const aData = a.data;
  for (let i = 0; i < data.length; i++) data[i] = aData[i] * factor;

  const result: Tensor = new Tensor(data, a.shape, {
    op: 'scale',
    parents: [a],
    backwardFn: () => {
      const grad = result.grad!;
      const gradA = new Float32Array(grad.length);
      for (let i = 0; i < grad.length; i++) gradA[i] = grad[i] * factor;
      a.accumulateGrad(gradA);
    },
  });
  return result;
}
