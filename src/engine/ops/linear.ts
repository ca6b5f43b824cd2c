import { formatShape, shapeElementCount, Tensor } from '../tensor/tensor';
import { matmulInto, matmulTransposeAInto, matmulTransposeBInto } from '../kernels/matmul';
import { checkRank, checkTensor } from './validate';

/**
 * Applies an affine map, x·weightᵀ + bias, in one fused op: x is [N, in] (or
 * [..., in]), weight is [out, in] as in PyTorch, bias is [out]. The result is
 * [N, out] (or [..., out]).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('linear', 'x', x);
  checkTensor('linear', 'weight', weight);
  checkRank('linear', 'weight', weight, 2);
  if (x.rank < 1) throw new Error(`linear: x must have at least 1 dimension [..., in], got shape ${formatShape(x.shape)}.`);
  const [outFeatures, inFeatures] = weight.shape;
  if (x.shape[x.rank - 1] !== inFeatures) {
    throw new Error(
      `linear: x has ${x.shape[x.rank - 1]} input features but weight expects ${inFeatures}; x is ${formatShape(x.shape)} and weight is ${formatShape(weight.shape)}.`,
    );
  }
  if (bias !== undefined && bias !== null) {
    checkTensor('linear', 'bias', bias);
    if (bias.rank !== 1 || bias.shape[0] !== outFeatures) {
      throw new Error(`linear: bias must be [${outFeatures}] to match weight ${formatShape(weight.shape)}, got ${formatShape(bias.shape)}.`);
    }
  }

  const rows = shapeElementCount(x.shape.slice(0, -1)); // x as [rows, in]
  const outShape = [...x.shape.slice(0, -1), outFeatures]; // [..., out]
  const data = new Float32Array(rows * outFeatures);
  matmulTransposeBInto(x.data, weight.data, data, rows, inFeatures, outFeatures); // [rows, in]·[in, out]
  if (bias) {
    const biasData = bias.data;
    for (let r = 0; r < rows; r++) {
      const row = r * outFeatures;
      for (let o = 0; o < outFeatures; o++) data[row + o] += biasData[o]; // [out] broadcast over rows
    }
  }

  const parents = bias ? [x, weight, bias] : [x, weight];
  const result: Tensor = new Tensor(data, outShape, {
    op: 'linear',
    parents,
    backwardFn: () => {
      const grad = result.grad!; // [rows, out]
      if (x.requiresGrad) {
        const gradX = new Float32Array(x.numel);
        matmulInto(grad, weight.data, gradX, rows, outFeatures, inFeatures); // dx = dy·W: [rows, out]·[out, in]
        x.accumulateGrad(gradX);
      }
      if (weight.requiresGrad) {
        const gradWeight = new Float32Array(weight.numel);
        matmulTransposeAInto(grad, x.data, gradWeight, outFeatures, rows, inFeatures); // dW = dyᵀ·x: [out, rows]·[rows, in]
        weight.accumulateGrad(gradWeight);
      }
      if (bias?.requiresGrad) {
        const gradBias = new Float32Array(outFeatures);
        for (let r = 0; r < rows; r++) {
          const row = r * outFeatures;
          for (let o = 0; o < outFeatures; o++) gradBias[o] += grad[row + o]; // sum [rows, out] over rows
        }
        bias.accumulateGrad(gradBias);
      }
    },
  });
  return result;
}
