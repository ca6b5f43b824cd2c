import { Tensor } from '../tensor/tensor';
import { checkTensor } from './validate';

/** GELU variant, named as torch.nn.functional.gelu's `approximate` argument: 'none' uses erf, 'tanh' the tanh approximation. */
export type GeluApproximation = 'none' | 'tanh';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2 = 1 / Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TANH_CUBIC = 0.044715;

/**
 * Returns the Gaussian error linear unit x·Φ(x) elementwise, with Φ the
 * standard normal distribution function. With `approximate` 'tanh' Φ(x) is
 * replaced by ½(1 + tanh(√(2/π)(x + 0.044715x³))), as in GPT-2.
 */
export function gelu(a: Tensor, approximate: GeluApproximation = 'none'): Tensor {
  checkTensor('gelu', 'a', a);
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new Error(`gelu: approximate must be 'none' (erf) or 'tanh', got ${String(approximate)}.`);
  }
  const aData = a.data;
  const data = new Float32Array(aData.length);
  const slopes = new Float32Array(aData.length); // d gelu / dx, kept for the backward pass
  for (let i = 0; i < aData.length; i++) {
    const x = aData[i];
    if (approximate === 'tanh') {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + TANH_CUBIC * x * x * x));
      data[i] = 0.5 * x * (1 + t);
      slopes[i] = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * TANH_CUBIC * x * x);
    } else {
      const cdf = 0.5 * (1 + erf(x * INV_SQRT_2));
      data[i] = x * cdf;
      slopes[i] = cdf + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    }
  }

  const result: Tensor = new Tensor(data, a.shape, {
    op: 'gelu',
    parents: [a],
    backwardFn: () => {
      const grad = result.grad!;
      const gradA = new Float32Array(grad.length);
      for (let i = 0; i < grad.length; i++) gradA[i] = grad[i] * slopes[i];
      a.accumulateGrad(gradA);
    },
  });
  return result;
}

/**
 * Returns the error function in double precision: its Maclaurin series for
 * |x| ≤ 3, and 1 − erfc(x) from erfc's continued fraction above that, where
 * the series would lose digits to cancellation. Both agree with the exact
 * value to about 1e-14, far below float32 resolution.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const magnitude = Math.abs(x);
  const sign = x < 0 ? -1 : 1;
  if (magnitude <= 3) {
    // erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
    const square = magnitude * magnitude;
    let term = magnitude;
    let total = magnitude;
    for (let n = 1; n < 100; n++) {
      term *= -square / n;
      const contribution = term / (2 * n + 1);
      total += contribution;
      if (Math.abs(contribution) < 1e-17 * Math.abs(total)) break;
    }
    return (sign * 2 * total) / Math.sqrt(Math.PI);
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated from the tail.
  let fraction = magnitude;
  for (let n = 60; n >= 1; n--) fraction = magnitude + n / 2 / fraction;
  const complement = Math.exp(-magnitude * magnitude) / Math.sqrt(Math.PI) / fraction;
  return sign * (1 - complement);
}
