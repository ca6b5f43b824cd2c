import { Tensor } from '../tensor/tensor';
import { accumulateAffineGradients, applyAffine, checkNormInputs, parentsOf } from './layernorm';
import { checkTensor } from './validate';

/**
 * Root-mean-square normalisation over the last axis of `x` [..., C]:
 * y = x / √(mean(x²) + eps) · weight, with `weight` [C] (or null for no
 * scale). Unlike layerNorm it neither subtracts the mean nor adds a bias.
 */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps = 1e-5): Tensor {
  checkTensor('rmsNorm', 'x', x);
  const width = checkNormInputs('rmsNorm', x, weight, eps);

  const rows = x.numel / width; // x as [rows, C]
  const xData = x.data;
  const normalized = new Float32Array(xData.length); // x̂ = x / rms, kept for the backward pass
  const inverseRms = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = r * width;
    let squares = 0;
    for (let c = 0; c < width; c++) squares += xData[start + c] * xData[start + c];
    const scale = 1 / Math.sqrt(squares / width + eps);
    inverseRms[r] = scale;
    for (let c = 0; c < width; c++) normalized[start + c] = xData[start + c] * scale;
  }
  const data = applyAffine(normalized, weight, null, width);

  const result: Tensor = new Tensor(data, x.shape, {
    op: 'rmsNorm',
    parents: parentsOf(x, weight, null),
    backwardFn: () => {
      const grad = result.grad!; // [rows, C]
      accumulateAffineGradients(grad, normalized, weight, null, width);
      if (!x.requiresGrad) return;

      // With g = dy·weight: dx = (g − x̂·mean(g·x̂)) / rms, per row.
      const gradX = new Float32Array(grad.length);
      const weightData = weight?.data;
      for (let r = 0; r < rows; r++) {
        const start = r * width;
        let projection = 0;
        for (let c = 0; c < width; c++) projection += grad[start + c] * (weightData === undefined ? 1 : weightData[c]) * normalized[start + c];
        projection /= width;
        for (let c = 0; c < width; c++) {
          const g = grad[start + c] * (weightData === undefined ? 1 : weightData[c]);
          gradX[start + c] = (g - normalized[start + c] * projection) * inverseRms[r];
        }
      }
      x.accumulateGrad(gradX);
    },
  });
  return result;
}
