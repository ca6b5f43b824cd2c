import { Tensor } from '../tensor/tensor';
import { checkTensor } from './validate';

/** Returns the hyperbolic tangent elementwise. */
export function tanh(a: Tensor): Tensor {
  checkTensor('tanh', 'a', a);
  const aData = a.data;
  const data = new Float32Array(aData.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.tanh(aData[i]);

  const result: Tensor = new Tensor(data, a.shape, {
    op: 'tanh',
    parents: [a],
    backwardFn: () => {
      const grad = result.grad!;
      const gradA = new Float32Array(grad.length);
      for (let i = 0; i < grad.length; i++) gradA[i] = grad[i] * (1 - data[i] * data[i]);
      a.accumulateGrad(gradA);
    },
  });
  return result;
}
