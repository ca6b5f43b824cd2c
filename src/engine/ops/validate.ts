/** Argument checks shared by the ops, so every error names the op and the argument. */

import { formatShape, Tensor } from '../tensor/tensor';

/** Throws unless `value` is a Tensor, naming the op and the argument. */
export function checkTensor(op: string, argument: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) {
    const received = value === null ? 'null' : typeof value;
    throw new Error(`${op}: ${argument} must be a Tensor, got ${received}.`);
  }
}

/** Throws unless `tensor` has exactly `rank` dimensions. */
export function checkRank(op: string, argument: string, tensor: Tensor, rank: number): void {
  if (tensor.rank !== rank) {
    throw new Error(`${op}: ${argument} must have ${rank} dimensions, got shape ${formatShape(tensor.shape)}.`);
  }
}

/** Throws unless `value` is a finite number, naming the op and the argument. */
export function checkFiniteNumber(op: string, argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${op}: ${argument} must be a finite number, got ${String(value)}.`);
  }
}
