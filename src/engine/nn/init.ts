/**
 * Parameter initialisers. Each returns a fresh leaf tensor with `requiresGrad`
 * set, drawn from the seeded generator so a run is reproducible.
 *
 * The He (Kaiming) variants scale by fan-in with gain √2, to keep activation
 * variance steady through ReLU layers. The Xavier (Glorot) variants scale by
 * fan-in plus fan-out with gain 1, for tanh and sigmoid layers. The formulas
 * match PyTorch's `kaiming_*_(nonlinearity='relu')` and `xavier_*_`.
 */

import { formatShape, shapeElementCount, Tensor, type Shape } from '../tensor/tensor';
import type { Rng } from '../tensor/random';

function checkFan(initializer: string, name: string, fan: number): void {
  if (!Number.isInteger(fan) || fan <= 0) {
    throw new Error(`${initializer}: ${name} must be a positive integer, got ${fan}.`);
  }
}

function fillTensor(shape: Shape, sample: () => number): Tensor {
  const data = new Float32Array(shapeElementCount(shape));
  for (let i = 0; i < data.length; i++) data[i] = sample();
  return new Tensor(data, shape, { requiresGrad: true });
}

/** Draws from N(0, 2 / fanIn). */
export function heNormal(shape: Shape, fanIn: number, rng: Rng): Tensor {
  checkFan('heNormal', 'fanIn', fanIn);
  const std = Math.sqrt(2 / fanIn);
  return fillTensor(shape, () => std * rng.normal());
}

/** Draws from U(−√(6 / fanIn), √(6 / fanIn)). */
export function heUniform(shape: Shape, fanIn: number, rng: Rng): Tensor {
  checkFan('heUniform', 'fanIn', fanIn);
  const bound = Math.sqrt(6 / fanIn);
  return fillTensor(shape, () => rng.uniform(-bound, bound));
}

/** Draws from U(−√(6 / (fanIn + fanOut)), √(6 / (fanIn + fanOut))). */
export function xavierUniform(shape: Shape, fanIn: number, fanOut: number, rng: Rng): Tensor {
  checkFan('xavierUniform', 'fanIn', fanIn);
  checkFan('xavierUniform', 'fanOut', fanOut);
  const bound = Math.sqrt(6 / (fanIn + fanOut));
  return fillTensor(shape, () => rng.uniform(-bound, bound));
}

/** Draws from N(0, 2 / (fanIn + fanOut)). */
export function xavierNormal(shape: Shape, fanIn: number, fanOut: number, rng: Rng): Tensor {
  checkFan('xavierNormal', 'fanIn', fanIn);
  checkFan('xavierNormal', 'fanOut', fanOut);
  const std = Math.sqrt(2 / (fanIn + fanOut));
  return fillTensor(shape, () => std * rng.normal());
}

/** Returns a tensor of zeros, as biases start. */
export function zeros(shape: Shape): Tensor {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) throw new Error(`zeros: invalid shape ${formatShape(shape)}; every dimension must be a non-negative integer.`);
  }
  return Tensor.zeros(shape, true);
}
