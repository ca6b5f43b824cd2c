import { formatShape, shapeElementCount, shapesEqual, Tensor } from '../tensor/tensor';
import { matmulInto, matmulTransposeAInto, matmulTransposeBInto } from '../kernels/matmul';
import { checkTensor } from './validate';

/**
 * Multiplies matrices: a [M, K] · b [K, N] → [M, N]. Two batched forms are
 * accepted: [..., M, K] · [K, N] → [..., M, N], where every matrix of a is
 * multiplied by the same b, and [..., M, K] · [..., K, N] → [..., M, N] with
 * equal batch dimensions, one product per batch entry. Batch dimensions are
 * not broadcast against each other.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  if (a.rank < 2) throw new Error(`matmul: a must have at least 2 dimensions [..., M, K], got shape ${formatShape(a.shape)}.`);
  if (b.rank < 2) throw new Error(`matmul: b must have at least 2 dimensions [K, N] or [..., K, N], got shape ${formatShape(b.shape)}.`);
  const inner = a.shape[a.rank - 1];
  if (b.shape[b.rank - 2] !== inner) {
    throw new Error(`matmul: inner dimensions differ, a is ${formatShape(a.shape)} and b is ${formatShape(b.shape)}.`);
  }
  if (b.rank > 2 && !shapesEqual(a.shape.slice(0, -2), b.shape.slice(0, -2))) {
    throw new Error(
      `matmul: batch dimensions differ, a is ${formatShape(a.shape)} and b is ${formatShape(b.shape)}; a batched b needs the same leading dimensions as a.`,
    );
  }
  return b.rank === 2 ? matmulSharedB(a, b) : matmulBatched(a, b);
}

/** [..., M, K] · [K, N]: the batch folds into the rows of one product. */
function matmulSharedB(a: Tensor, b: Tensor): Tensor {
  const inner = b.shape[0];
  const columns = b.shape[1];
  const rows = shapeElementCount(a.shape.slice(0, -1)); // a as [rows, K], with rows = (...)·M
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

/** [..., M, K] · [..., K, N] with equal batch dimensions: one product per batch entry. */
function matmulBatched(a: Tensor, b: Tensor): Tensor {
  const [rows, inner] = a.shape.slice(-2);
  const columns = b.shape[b.rank - 1];
  const batch = shapeElementCount(a.shape.slice(0, -2)); // a as [batch, M, K], b as [batch, K, N]
  const outShape = [...a.shape.slice(0, -1), columns]; // [..., M, N]
  const aSize = rows * inner;
  const bSize = inner * columns;
  const outSize = rows * columns;
  const data = new Float32Array(batch * outSize);
  for (let i = 0; i < batch; i++) {
    matmulInto(a.data.subarray(i * aSize), b.data.subarray(i * bSize), data.subarray(i * outSize), rows, inner, columns);
  }

  const result: Tensor = new Tensor(data, outShape, {
    op: 'matmul',
    parents: [a, b],
    backwardFn: () => {
      const grad = result.grad!; // [batch, M, N]
      const gradA = a.requiresGrad ? new Float32Array(a.numel) : null;
      const gradB = b.requiresGrad ? new Float32Array(b.numel) : null;
      for (let i = 0; i < batch; i++) {
        const gradSlice = grad.subarray(i * outSize);
        if (gradA !== null) {
          // dA = dC·Bᵀ: [M, N]·[N, K]
          matmulTransposeBInto(gradSlice, b.data.subarray(i * bSize), gradA.subarray(i * aSize), rows, columns, inner);
        }
        if (gradB !== null) {
          // dB = Aᵀ·dC: [K, M]·[M, N]
          matmulTransposeAInto(a.data.subarray(i * aSize), gradSlice, gradB.subarray(i * bSize), inner, rows, columns);
        }
      }
      if (gradA !== null) a.accumulateGrad(gradA);
      if (gradB !== null) b.accumulateGrad(gradB);
    },
  });
  return result;
}
