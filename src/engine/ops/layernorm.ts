import { formatShape, Tensor } from '../tensor/tensor';
import { checkFiniteNumber, checkTensor } from './validate';

/**
 * Normalises `x` [..., C] over its last axis to zero mean and unit variance
 * (the biased variance, as torch.nn.functional.layer_norm uses), then applies
 * the elementwise affine map y = x̂·weight + bias. `weight` and `bias` are [C]
 * and either may be null for no scale or no shift.
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  checkTensor('layerNorm', 'x', x);
  const width = checkNormInputs('layerNorm', x, weight, eps);
  if (bias !== null) checkAffine('layerNorm', 'bias', bias, width);

  const rows = x.numel / width; // x as [rows, C]
  const xData = x.data;
  const normalized = new Float32Array(xData.length); // x̂, kept for the backward pass
  const inverseStd = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = r * width;
    let total = 0;
    for (let c = 0; c < width; c++) total += xData[start + c];
    const mean = total / width;
    let squares = 0;
    for (let c = 0; c < width; c++) squares += (xData[start + c] - mean) ** 2;
    const scale = 1 / Math.sqrt(squares / width + eps);
    inverseStd[r] = scale;
    for (let c = 0; c < width; c++) normalized[start + c] = (xData[start + c] - mean) * scale;
  }
  const data = applyAffine(normalized, weight, bias, width);

  const result: Tensor = new Tensor(data, x.shape, {
    op: 'layerNorm',
    parents: parentsOf(x, weight, bias),
    backwardFn: () => {
      const grad = result.grad!; // [rows, C]
      accumulateAffineGradients(grad, normalized, weight, bias, width);
      if (!x.requiresGrad) return;

      // With g = dy·weight: dx = (g − mean(g) − x̂·mean(g·x̂)) / σ, per row.
      const gradX = new Float32Array(grad.length);
      const weightData = weight?.data;
      for (let r = 0; r < rows; r++) {
        const start = r * width;
        let gradMean = 0;
        let projection = 0;
        for (let c = 0; c < width; c++) {
          const g = grad[start + c] * (weightData === undefined ? 1 : weightData[c]);
          gradMean += g;
          projection += g * normalized[start + c];
        }
        gradMean /= width;
        projection /= width;
        for (let c = 0; c < width; c++) {
          const g = grad[start + c] * (weightData === undefined ? 1 : weightData[c]);
          gradX[start + c] = (g - gradMean - normalized[start + c] * projection) * inverseStd[r];
        }
      }
      x.accumulateGrad(gradX);
    },
  });
  return result;
}

/** Checks `x`, `weight` and `eps` for a normalisation over the last axis and returns the axis length C. */
export function checkNormInputs(op: string, x: Tensor, weight: Tensor | null, eps: number): number {
  if (x.rank < 1) throw new Error(`${op}: x must have at least 1 dimension [..., C], got shape ${formatShape(x.shape)}.`);
  const width = x.shape[x.rank - 1];
  if (width === 0) throw new Error(`${op}: the last axis of x ${formatShape(x.shape)} is empty, so it cannot be normalised.`);
  if (weight !== null) checkAffine(op, 'weight', weight, width);
  checkFiniteNumber(op, 'eps', eps);
  if (eps < 0) throw new Error(`${op}: eps must be non-negative, got ${eps}.`);
  return width;
}

function checkAffine(op: string, argument: string, tensor: Tensor, width: number): void {
  checkTensor(op, argument, tensor);
  if (tensor.rank !== 1 || tensor.shape[0] !== width) {
    throw new Error(`${op}: ${argument} must be [${width}] to match the last axis of x, got ${formatShape(tensor.shape)}.`);
  }
}

export function parentsOf(x: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor[] {
  const parents = [x];
  if (weight !== null) parents.push(weight);
  if (bias !== null) parents.push(bias);
  return parents;
}

/** Returns x̂·weight + bias, with weight and bias [C] broadcast over the rows of x̂ [rows, C]. */
export function applyAffine(normalized: Float32Array, weight: Tensor | null, bias: Tensor | null, width: number): Float32Array {
  const data = normalized.slice();
  for (let start = 0; start < data.length; start += width) {
    if (weight !== null) for (let c = 0; c < width; c++) data[start + c] *= weight.data[c];
    if (bias !== null) for (let c = 0; c < width; c++) data[start + c] += bias.data[c];
  }
  return data;
}

/** Adds dweight = Σ dy·x̂ and dbias = Σ dy over the rows, for whichever of the two needs a gradient. */
export function accumulateAffineGradients(grad: Float32Array, normalized: Float32Array, weight: Tensor | null, bias: Tensor | null, width: number): void {
  if (weight?.requiresGrad) {
    const gradWeight = new Float32Array(width);
    for (let start = 0; start < grad.length; start += width) {
      for (let c = 0; c < width; c++) gradWeight[c] += grad[start + c] * normalized[start + c];
    }
    weight.accumulateGrad(gradWeight);
  }
  if (bias?.requiresGrad) {
    const gradBias = new Float32Array(width);
    for (let start = 0; start < grad.length; start += width) {
      for (let c = 0; c < width; c++) gradBias[c] += grad[start + c];
    }
    bias.accumulateGrad(gradBias);
  }
}
