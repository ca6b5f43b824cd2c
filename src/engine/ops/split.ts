import { formatShape, Tensor } from '../tensor/tensor';
import { normalizeAxis, splitAtAxis } from '../tensor/shape';
import { checkTensor } from './validate';

/**
 * Cuts `a` along `axis` into consecutive pieces of the given `sizes`, which
 * must add up to the axis length, as torch.split with a list of sizes does.
 * Each piece is a copy, and its gradient flows back into its slice of `a`.
 */
export function split(a: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  checkTensor('split', 'a', a);
  const dim = normalizeAxis('split', axis, a.rank);
  const { outer, size, inner } = splitAtAxis(a.shape, dim); // a as [outer, size, inner]
  if (!Array.isArray(sizes) || sizes.length === 0 || sizes.some((piece) => !Number.isInteger(piece) || piece < 0)) {
    throw new Error(`split: sizes must be a non-empty array of non-negative integers, got ${String(sizes)}.`);
  }
  const total = sizes.reduce((sum, piece) => sum + piece, 0);
  if (total !== size) {
    throw new Error(
      `split: sizes [${sizes.join(', ')}] add up to ${total} but axis ${axis} of a ${formatShape(a.shape)} has length ${size}; the sizes must add up to the axis length.`,
    );
  }

  const aData = a.data;
  const pieces: Tensor[] = [];
  let offset = 0;
  for (const pieceSize of sizes) {
    const start = offset;
    offset += pieceSize;
    const outShape = [...a.shape];
    outShape[dim] = pieceSize; // [..., pieceSize, ...]
    const data = new Float32Array(outer * pieceSize * inner);
    for (let o = 0; o < outer; o++) {
      data.set(aData.subarray((o * size + start) * inner, (o * size + start + pieceSize) * inner), o * pieceSize * inner);
    }

    const piece: Tensor = new Tensor(data, outShape, {
      op: 'split',
      parents: [a],
      backwardFn: () => {
        const grad = piece.grad!; // [outer, pieceSize, inner]
        const gradA = new Float32Array(a.numel); // [outer, size, inner], zero outside this piece
        for (let o = 0; o < outer; o++) {
          gradA.set(grad.subarray(o * pieceSize * inner, (o + 1) * pieceSize * inner), (o * size + start) * inner);
        }
        a.accumulateGrad(gradA);
      },
    });
    pieces.push(piece);
  }
  return pieces;
}
