import { Tensor } from '../tensor/tensor';
import { checkTensor } from './validate';

/** Returns max(a, 0) elementwise. The gradient at exactly 0 is taken as 0, as in PyTorch. */
export function relu(a: Tensor): Tensor {
  checkTensor('relu', 'a', a);
  const aData = a.data;
  const data = new Float32Array(aData.length);
  for (let i = 0; i < data.length; i++) data[i] = aData[i] > 0 ? aData[i] : 0;

  const result: Tensor = new Tensor(data, a.shape, {
    op: 'relu',
    parents: [a],
    backwardFn: () => {
      const grad = result.grad!;
      const gradA = new Float32Array(grad.length);
      for (let i = 0; i < grad.length; i++) gradA[i] = aData[i] > 0 ? grad[i] : 0;
      a.accumulateGrad(gradA);
    },
  });
  return result;
}
