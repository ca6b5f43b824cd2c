import { formatShape, shapeElementCount, Tensor, type Shape } from '../tensor/tensor';
import { checkRank, checkTensor } from './validate';

/**
 * Looks up rows of `table` [V, C] by integer id: `ids` contains the ids of a
 * tensor of shape `idsShape` in row-major order, and the result is
 * [...idsShape, C]. The backward pass adds each output row's gradient into
 * the table row it came from, so an id used several times accumulates.
 */
export function embedding(table: Tensor, ids: Int32Array, idsShape: Shape): Tensor {
  checkTensor('embedding', 'table', table);
  checkRank('embedding', 'table', table, 2);
  if (!(ids instanceof Int32Array)) {
    throw new Error(`embedding: ids must be an Int32Array of row indices, got ${ids === null ? 'null' : typeof ids}.`);
  }
  if (!Array.isArray(idsShape) || idsShape.some((dim) => !Number.isInteger(dim) || dim < 0)) {
    throw new Error(`embedding: idsShape must be an array of non-negative integers, got ${String(idsShape)}.`);
  }
  if (shapeElementCount(idsShape) !== ids.length) {
    throw new Error(`embedding: idsShape ${formatShape(idsShape)} needs ${shapeElementCount(idsShape)} ids but ids has ${ids.length}.`);
  }
  const [rowCount, width] = table.shape;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= rowCount) {
      throw new Error(
        `embedding: ids[${i}] is ${ids[i]}, outside the range [0, ${rowCount - 1}] of table ${formatShape(table.shape)}; every id must be below the vocabulary size ${rowCount}.`,
      );
    }
  }

  const tableData = table.data;
  const data = new Float32Array(ids.length * width);
  for (let i = 0; i < ids.length; i++) data.set(tableData.subarray(ids[i] * width, (ids[i] + 1) * width), i * width);

  const result: Tensor = new Tensor(data, [...idsShape, width], {
    op: 'embedding',
    parents: [table],
    backwardFn: () => {
      const grad = result.grad!; // [ids.length, C]
      const gradTable = new Float32Array(table.numel); // [V, C]
      for (let i = 0; i < ids.length; i++) {
        const row = ids[i] * width;
        const source = i * width;
        for (let c = 0; c < width; c++) gradTable[row + c] += grad[source + c];
      }
      table.accumulateGrad(gradTable);
    },
  });
  return result;
}
