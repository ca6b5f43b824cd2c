/**
 * Gradient checking by central finite differences, for the op tests.
 *
 * The objective is L = Σ wᵢ·outᵢ with fixed random weights w, summed in float64,
 * so every output element contributes with its own weight and a wrong gradient
 * cannot cancel out. The analytic gradient comes from `backward(w)`. The
 * numeric gradient perturbs one input element at a time by ±step and divides
 * by the perturbation that float32 actually stored, not the nominal one.
 */

import { noGrad, Tensor } from '../../src/engine/tensor/tensor';
import { Rng } from '../../src/engine/tensor/random';

export interface GradcheckOptions {
  /**
   * Perturbation of each input element. float32 needs a large one, because the
   * objective's rounding error is divided by it; 1e-2 is the default.
   */
  step?: number;
  absoluteTolerance?: number;
  relativeTolerance?: number;
  /** Seed of the objective's weights. */
  seed?: number;
}

/**
 * Compares analytic and numeric gradients of `compute` for every input and
 * returns one line per element that differs by more than
 * absoluteTolerance + relativeTolerance·|numeric|. An empty list means the check passed.
 */
export function gradientMismatches(compute: (inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): string[] {
  const step = options.step ?? 1e-2;
  const absoluteTolerance = options.absoluteTolerance ?? 1e-3;
  const relativeTolerance = options.relativeTolerance ?? 1e-2;
  const leaves = inputs.map((input) => new Tensor(input.data.slice(), input.shape, { requiresGrad: true }));

  const output = compute(leaves);
  const rng = new Rng(options.seed ?? 7);
  const weights = new Float32Array(output.numel);
  for (let i = 0; i < weights.length; i++) weights[i] = rng.uniform(-1, 1);
  output.backward(weights);

  const objective = (): number =>
    noGrad(() => {
      const values = compute(leaves).data;
      let total = 0;
      for (let i = 0; i < values.length; i++) total += weights[i] * values[i];
      return total;
    });

  const mismatches: string[] = [];
  leaves.forEach((leaf, inputIndex) => {
    const analytic = leaf.grad ?? new Float32Array(leaf.numel);
    for (let i = 0; i < leaf.numel; i++) {
      const original = leaf.data[i];
      leaf.data[i] = original + step;
      const upper = leaf.data[i];
      const upperValue = objective();
      leaf.data[i] = original - step;
      const lower = leaf.data[i];
      const lowerValue = objective();
      leaf.data[i] = original;

      const numeric = (upperValue - lowerValue) / (upper - lower);
      if (Math.abs(analytic[i] - numeric) > absoluteTolerance + relativeTolerance * Math.abs(numeric)) {
        mismatches.push(`input ${inputIndex} element ${i}: analytic ${analytic[i]}, numeric ${numeric}`);
      }
    }
  });
  return mismatches;
}
