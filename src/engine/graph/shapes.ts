/** Helpers for symbolic shapes, whose dimensions are numbers or free symbols such as `B`. */

import type { SymbolicShape } from './types';

/** Symbol for the batch dimension, free until a batch arrives. */
export const BATCH_DIM = 'B';

export function formatSymbolicShape(shape: SymbolicShape): string {
  return `[${shape.join(', ')}]`;
}
