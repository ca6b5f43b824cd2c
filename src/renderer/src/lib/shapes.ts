import type { SymbolicShape } from '../../../engine/graph/types';

/** Formats a shape the way the canvas labels edges: `[B, 128]`. */
export function formatShape(shape: SymbolicShape): string {
  return `[${shape.join(', ')}]`;
}
