import { Tensor } from '../tensor/tensor';
import type { Rng } from '../tensor/random';
import { checkFiniteNumber, checkTensor } from './validate';

/**
 * Inverted dropout: in training, zeroes each element with probability `p`
 * and scales the rest by 1/(1 − p), so the expected value is unchanged. The
 * mask is drawn from `rng`, so a seeded run drops the same elements every
 * time. With `training` false or `p` 0 it returns `x` itself.
 */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  checkTensor('dropout', 'x', x);
  checkFiniteNumber('dropout', 'p', p);
  if (p < 0 || p > 1) throw new Error(`dropout: p must be a probability in [0, 1], got ${p}.`);
  if (!training || p === 0) return x;
  if (rng === null || typeof rng !== 'object' || typeof rng.next !== 'function') {
    throw new Error('dropout: rng must be a seeded Rng in training mode, so the mask is reproducible.');
  }

  // p = 1 drops everything, and the 1/(1 − p) scale would be infinite, so the kept factor is 0.
  const keptScale = p === 1 ? 0 : 1 / (1 - p);
  const mask = new Float32Array(x.numel); // 0 or 1/(1 − p) per element
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < p ? 0 : keptScale;
  const xData = x.data;
  const data = new Float32Array(xData.length);
  for (let i = 0; i < data.length; i++) data[i] = xData[i] * mask[i];

  const result: Tensor = new Tensor(data, x.shape, {
    op: 'dropout',
    parents: [x],
    backwardFn: () => {
      const grad = result.grad!;
      const gradX = new Float32Array(grad.length);
      for (let i = 0; i < grad.length; i++) gradX[i] = grad[i] * mask[i];
      x.accumulateGrad(gradX);
    },
  });
  return result;
}
