import { formatShape, shapeElementCount, Tensor, type Shape } from '../tensor/tensor';
import { broadcastShapes, forEachBroadcastRow } from '../tensor/shape';
import { matmulInto, matmulTransposeAInto, matmulTransposeBInto } from '../kernels/matmul';
import { checkTensor } from './validate';

/**
 * Batched matrix multiply: a [..., M, K] · b [..., K, N] → [..., M, N], one
 * product per batch entry. The leading (batch) dimensions broadcast as in
 * NumPy and torch.matmul, so b may be a plain [K, N] or [1, K, N] shared by
 * every batch entry of a.
 */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkTensor('bmm', 'a', a);
  checkTensor('bmm', 'b', b);
  if (a.rank < 2) throw new Error(`bmm: a must have at least 2 dimensions [..., M, K], got shape ${formatShape(a.shape)}.`);
  if (b.rank < 2) throw new Error(`bmm: b must have at least 2 dimensions [..., K, N], got shape ${formatShape(b.shape)}.`);
  const [rows, inner] = a.shape.slice(-2);
  const [bInner, columns] = b.shape.slice(-2);
  if (bInner !== inner) {
    throw new Error(`bmm: inner dimensions differ, a is ${formatShape(a.shape)} and b is ${formatShape(b.shape)}; the last axis of a must match the second to last of b.`);
  }
  const batchShape = broadcastShapes('bmm', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const { aBatch, bBatch } = batchIndices(batchShape, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = aBatch.length;
  const aSize = rows * inner;
  const bSize = inner * columns;
  const outSize = rows * columns;

  const data = new Float32Array(batch * outSize); // [batch, M, N]
  for (let i = 0; i < batch; i++) {
    matmulInto(a.data.subarray(aBatch[i] * aSize), b.data.subarray(bBatch[i] * bSize), data.subarray(i * outSize), rows, inner, columns);
  }

  const result: Tensor = new Tensor(data, [...batchShape, rows, columns], {
    op: 'bmm',
    parents: [a, b],
    backwardFn: () => {
      const grad = result.grad!; // [batch, M, N]
      // Broadcast batch entries share an input matrix, so each product's gradient is added, not stored.
      if (a.requiresGrad) {
        const gradA = new Float32Array(a.numel);
        const product = new Float32Array(aSize);
        for (let i = 0; i < batch; i++) {
          matmulTransposeBInto(grad.subarray(i * outSize), b.data.subarray(bBatch[i] * bSize), product, rows, columns, inner); // dA = dC·Bᵀ: [M, N]·[N, K]
          addInto(gradA, aBatch[i] * aSize, product);
        }
        a.accumulateGrad(gradA);
      }
      if (b.requiresGrad) {
        const gradB = new Float32Array(b.numel);
        const product = new Float32Array(bSize);
        for (let i = 0; i < batch; i++) {
          matmulTransposeAInto(a.data.subarray(aBatch[i] * aSize), grad.subarray(i * outSize), product, inner, rows, columns); // dB = Aᵀ·dC: [K, M]·[M, N]
          addInto(gradB, bBatch[i] * bSize, product);
        }
        b.accumulateGrad(gradB);
      }
    },
  });
  return result;
}

/** For each entry of the broadcast batch, the index of the matrix of a and of b it reads. */
function batchIndices(batchShape: Shape, aBatchShape: Shape, bBatchShape: Shape): { aBatch: Int32Array; bBatch: Int32Array } {
  const count = shapeElementCount(batchShape);
  const aBatch = new Int32Array(count);
  const bBatch = new Int32Array(count);
  forEachBroadcastRow(batchShape, aBatchShape, bBatchShape, (outStart, aStart, aStep, bStart, bStep, length) => {
    for (let i = 0; i < length; i++) {
      aBatch[outStart + i] = aStart + i * aStep;
      bBatch[outStart + i] = bStart + i * bStep;
    }
  });
  return { aBatch, bBatch };
}

function addInto(target: Float32Array, offset: number, values: Float32Array): void {
  for (let i = 0; i < values.length; i++) target[offset + i] += values[i];
}
