/** Port declarations and shape-rule helpers shared by the node types. */

import { formatSymbolicShape } from '../shapes';
import type { Dim, PortSpec, ShapeResult, SymbolicShape } from '../types';

/** The single required input of a layer or activation. */
export const INPUT_PORT: PortSpec = { name: 'input', label: 'Input', required: true };
/** The single output of a layer or activation. */
export const OUTPUT_PORT: PortSpec = { name: 'output', label: 'Output', required: false };

export function shapeError(port: string, message: string): ShapeResult {
  return { ok: false, port, message };
}

/** A shape check that either failed with a result to return, or found a sequence of vectors [B, T, C]. */
export type SequenceCheck = { ok: false; result: ShapeResult } | { ok: true; shape: [Dim, Dim, number] };

/**
 * Checks that `input` arriving at `port` of `type` node `nodeId` is a batch of
 * sequences of vectors [B, T, C] with a known width C.
 */
export function checkSequence(type: string, nodeId: string, input: SymbolicShape | undefined, port = 'input'): SequenceCheck {
  if (input === undefined) return { ok: false, result: shapeError(port, `${type} node "${nodeId}" has nothing connected to its ${port} port.`) };
  if (input.length !== 3 || typeof input[2] !== 'number') {
    return {
      ok: false,
      result: shapeError(
        port,
        `${type} node "${nodeId}", port ${port}: expects a sequence of vectors [B, T, C] but receives ${formatSymbolicShape(input)}. ` +
          'Connect it after an Embedding (and Positional encoding) or another sequence layer.',
      ),
    };
  }
  return { ok: true, shape: [input[0], input[1], input[2]] };
}

/** Returns the last dimension of `shape` as a number; shape rules have checked that it is one. */
export function lastDim(shape: SymbolicShape): number {
  return shape[shape.length - 1] as number;
}
