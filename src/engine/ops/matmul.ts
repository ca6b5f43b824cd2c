import { formatShape, shapeElementCount, Tensor } from '../tensor/tensor';
import { matmulInto, matmulTransposeAInto, matmulTransposeBInto } from '../kernels/matmul';
import { checkRank, checkTensor } from './validate';

/**
 * Multiplies matrices: a [M, K] · b [K, N] → [M, N]. `a` may carry leading batch
 * dimensions, [..., M, K] · [K, N] → [..., M, N], which multiply by the same b.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  if (a.rank < 2) throw new Error(`matmul: a must have at least 2 dimensions [..., M, K], got shape ${formatShape(a.shape)}.`);
  // NOTE: b with its own batch dimensions ([..., K, N]) is not supported yet; only a is batched.
  checkRank('matmul', 'b', b, 2);
  const inner = a.shape[a.rank - 1];
  if (b.shape[0] !== inner) {
    throw new Error(`matmul: inner dimensions differ, a is ${formatShape(a.shape)} and b is ${formatShape(b.shape)}.`);
  }

  const rows = shapeElementCount(a.shape.slice(0, -1)); // a as [rows, K], with rows = (...)·M
  const columns = b.shape[1];
  const outShape = [...a.shape.slice(0, -1), columns]; // [..., M, N]
  const data = new Float32Array(rows * columns);
  matmulInto(a.data, b.data, data, rows, inner, columns);

  const result: Tensor = new Tensor(data, outShape, {
    op: 'matmul',
    parents: [a, b],
    backwardFn: () => {
      const grad = result.grad!; // [rows, N]
      if (a.requiresGrad) {
        const gradA = new Float32Array(a.numel);
        matmulTransposeBInto(grad, b.data, gradA, rows, columns, inner); // dA = dC·Bᵀ: [rows, N]·[N, K]
        a.accumulateGrad(gradA);
      }
      if (b.requiresGrad) {
        const gradB = new Float32Array(b.numel);
        matmulTransposeAInto(a.data, grad, gradB, inner, rows, columns); // dB = Aᵀ·dC: [K, rows]·[rows, N]
        b.accumulateGrad(gradB);
      }
    },
  });
  return result;
}
