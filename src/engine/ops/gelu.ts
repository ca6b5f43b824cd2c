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
 * standard normal distribution function, computed through `erf` below.
 * With `approximate` 'tanh' Φ(x) is replaced by
 * ½(1 + tanh(√(2/π)(x + 0.044715x³))), as in GPT-2.
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

// Coefficients of formula 7.1.26 in Abramowitz and Stegun, Handbook of Mathematical Functions (1964).
const ERF_P = 0.3275911;
const ERF_A1 = 0.254829592;
const ERF_A2 = -0.284496736;
const ERF_A3 = 1.421413741;
const ERF_A4 = -1.453152027;
const ERF_A5 = 1.061405429;

/**
 * Returns the error function by Abramowitz and Stegun's formula 7.1.26,
 * 1 − (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵)·e^(−x²) with t = 1/(1 + p·|x|), whose
 * absolute error is below 1.5e-7, about one float32 rounding step of values
 * near 1. It costs one exp per element, far less than a series summed to
 * full double precision.
 */
export function erf(x: number): number {
  const magnitude = Math.abs(x);
  const t = 1 / (1 + ERF_P * magnitude);
  const polynomial = ((((ERF_A5 * t + ERF_A4) * t + ERF_A3) * t + ERF_A2) * t + ERF_A1) * t;
  const value = 1 - polynomial * Math.exp(-magnitude * magnitude);
  return x < 0 ? -value : value;
}
