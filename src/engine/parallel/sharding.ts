/**
 * Splitting row-major tensor data into equal shards along one axis and joining
 * shards back, as tensor and sequence parallelism need. A dimension that does not
 * divide by the device count is rejected, because every device must hold a shard
 * of the same shape.
 */

import { formatShape, shapeElementCount, type Shape } from '../tensor/tensor';

/** Returns shard `index` of `parts` equal shards of `data` (row-major, shaped `shape`) along `axis`. */
export function shardAlong(data: Float32Array, shape: Shape, axis: number, parts: number, index: number): Float32Array {
  validateData(data, shape, 'shardAlong');
  validatePartCount(parts, 'shardAlong');
  if (!Number.isInteger(index) || index < 0 || index >= parts) {
    throw new Error(`shardAlong got shard index ${index}: use an integer from 0 to ${parts - 1}.`);
  }
  const layout = axisLayout(shape, axis, parts);
  const shardRowLength = layout.shardDim * layout.inner;
  const fullRowLength = layout.dim * layout.inner;

  // [outer, dim, inner] -> [outer, dim / parts, inner], taking rows index * shardDim onwards.
  const shard = new Float32Array(layout.outer * shardRowLength);
  for (let o = 0; o < layout.outer; o++) {
    const start = o * fullRowLength + index * shardRowLength;
    shard.set(data.subarray(start, start + shardRowLength), o * shardRowLength);
  }
  return shard;
}

/** Joins equal shards along `axis` into data of `shape`, the shape of the result; the inverse of `shardAlong`. */
export function concatAlong(shards: readonly Float32Array[], shape: Shape, axis: number): Float32Array {
  validatePartCount(shards.length, 'concatAlong');
  const layout = axisLayout(shape, axis, shards.length);
  const shardRowLength = layout.shardDim * layout.inner;
  const fullRowLength = layout.dim * layout.inner;
  const shardLength = layout.outer * shardRowLength;
  shards.forEach((shard, index) => {
    if (shard.length !== shardLength) {
      throw new Error(
        `concatAlong got shard ${index} with ${shard.length} elements, but joining ${shards.length} shards into shape ${formatShape(shape)} along axis ${layout.axis} needs ${shardLength} each.`,
      );
    }
  });

  // parts × [outer, dim / parts, inner] -> [outer, dim, inner]
  const result = new Float32Array(shapeElementCount(shape));
  for (let index = 0; index < shards.length; index++) {
    const shard = shards[index];
    for (let o = 0; o < layout.outer; o++) {
      const source = o * shardRowLength;
      result.set(shard.subarray(source, source + shardRowLength), o * fullRowLength + index * shardRowLength);
    }
  }
  return result;
}

/** Splits `length` elements into `parts` contiguous ranges whose lengths differ by at most one, longer ones first. */
export function evenChunkBounds(length: number, parts: number): Array<{ start: number; end: number }> {
  const base = Math.floor(length / parts);
  const remainder = length % parts;
  const bounds: Array<{ start: number; end: number }> = [];
  let start = 0;
  for (let part = 0; part < parts; part++) {
    const end = start + base + (part < remainder ? 1 : 0);
    bounds.push({ start, end });
    start = end;
  }
  return bounds;
}

/** Returns `shape` with its `axis` dimension multiplied by `parts`: the full shape gathered from equal shards. */
export function gatheredShape(shardShape: Shape, axis: number, parts: number): number[] {
  const resolvedAxis = resolveAxis(shardShape, axis);
  return shardShape.map((dim, i) => (i === resolvedAxis ? dim * parts : dim));
}

/** Returns `axis` as a non-negative index into `shape`; a negative axis counts from the end. */
export function resolveAxis(shape: Shape, axis: number): number {
  if (!Number.isInteger(axis) || axis < -shape.length || axis >= shape.length) {
    throw new Error(
      `Invalid axis ${axis} for shape ${formatShape(shape)}: use an integer from ${-shape.length} to ${shape.length - 1}.`,
    );
  }
  return axis < 0 ? axis + shape.length : axis;
}

interface AxisLayout {
  axis: number;
  /** Product of the dimensions before the axis. */
  outer: number;
  dim: number;
  shardDim: number;
  /** Product of the dimensions after the axis. */
  inner: number;
}

function axisLayout(shape: Shape, axis: number, parts: number): AxisLayout {
  if (!shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
    throw new Error(`Invalid shape ${formatShape(shape)}: every dimension must be a non-negative integer.`);
  }
  const resolvedAxis = resolveAxis(shape, axis);
  const dim = shape[resolvedAxis];
  if (dim % parts !== 0) {
    throw new Error(
      `Cannot split dimension ${resolvedAxis} of shape ${formatShape(shape)} (size ${dim}) evenly across ${parts} devices: use a device count that divides ${dim}, or resize that dimension.`,
    );
  }
  return {
    axis: resolvedAxis,
    outer: shapeElementCount(shape.slice(0, resolvedAxis)),
    dim,
    shardDim: dim / parts,
    inner: shapeElementCount(shape.slice(resolvedAxis + 1)),
  };
}

function validateData(data: Float32Array, shape: Shape, caller: string): void {
  const expected = shapeElementCount(shape);
  if (data.length !== expected) {
    throw new Error(`${caller} got ${data.length} elements, but shape ${formatShape(shape)} needs ${expected}.`);
  }
}

function validatePartCount(parts: number, caller: string): void {
  if (!Number.isInteger(parts) || parts < 1) {
    throw new Error(`${caller} got ${parts} parts: use a positive integer number of devices.`);
  }
}
