/** Helpers for symbolic shapes, whose dimensions are numbers or free symbols such as `B`. */

import type { SymbolicShape } from './types';

/** Symbol for the batch dimension, free until a batch arrives. */
export const BATCH_DIM = 'B';

export function formatSymbolicShape(shape: SymbolicShape): string {
  return `[${shape.join(', ')}]`;
}

export function symbolicShapesEqual(a: SymbolicShape, b: SymbolicShape): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/** Product of the numeric dimensions, or null when a dimension is symbolic. */
export function knownElementCount(shape: SymbolicShape): number | null {
  let count = 1;
  for (const dim of shape) {
    if (typeof dim !== 'number') return null;
    count *= dim;
  }
  return count;
}
