import type { Tensor } from '../tensor/tensor';
import { scale } from './scale';
import { softmax } from './softmax';
import { checkFiniteNumber, checkTensor } from './validate';

/**
 * Returns softmax(a / temperature) along `axis`. A temperature above 1
 * flattens the distribution and one below 1 sharpens it. Temperature 0 has no
 * softmax (it is the argmax), so it is rejected here and left to the sampler.
 */
export function softmaxWithTemperature(a: Tensor, temperature: number, axis = -1): Tensor {
  checkTensor('softmaxWithTemperature', 'a', a);
  checkFiniteNumber('softmaxWithTemperature', 'temperature', temperature);
  if (temperature <= 0) {
    throw new Error(`softmaxWithTemperature: temperature must be greater than 0, got ${temperature}; for greedy decoding take the argmax of the logits instead.`);
  }
  return softmax(scale(a, 1 / temperature), axis);
}
