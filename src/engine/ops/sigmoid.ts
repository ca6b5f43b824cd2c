import { Tensor } from '../tensor/tensor';
import { checkTensor } from './validate';

/** Returns the logistic function 1 / (1 + e^-a) elementwise. */
export function sigmoid(a: Tensor): Tensor {
  checkTensor('sigmoid', 'a', a);
  const aData = a.data;
  const data = new Float32Array(aData.length);
  for (let i = 0; i < data.length; i++) {
    // Both branches exponentiate a non-positive number, so neither overflows.
    const x = aData[i];
    if (x >= 0) {
      data[i] = 1 / (1 + Math.exp(-x));
    } else {
      const e = Math.exp(x);
      data[i] = e / (1 + e);
    }
  }

  const result: Tensor = new Tensor(data, a.shape, {
    op: 'sigmoid',
    parents: [a],
    backwardFn: () => {
      const grad = result.grad!;
      const gradA = new Float32Array(grad.length);
      for (let i = 0; i < grad.length; i++) gradA[i] = grad[i] * data[i] * (1 - data[i]);
      a.accumulateGrad(gradA);
    },
  });
  return result;
}
