import { add } from '../../ops/add';
import { formatSymbolicShape } from '../shapes';
import type { NodeTypeSpec } from '../types';
import { OUTPUT_PORT, shapeError } from './ports';

export const residualAddNode: NodeTypeSpec = {
  type: 'ResidualAdd',
  label: 'Residual add',
  category: 'layer',
  description:
    'Adds its two inputs element by element. In a transformer the block input skips around a sub-layer and is added to ' +
    'the sub-layer output, x + attention(norm(x)), so each layer only learns a correction, and gradients reach early ' +
    'layers through the sum unchanged. Both inputs must have the same shape.',
  inputs: [
    { name: 'a', label: 'Residual (skip)', required: true },
    { name: 'b', label: 'Branch', required: true },
  ],
  outputs: [OUTPUT_PORT],
  params: [],

  inferShape({ nodeId, inputs }) {
    const { a, b } = inputs;
    if (a === undefined) return shapeError('a', `ResidualAdd node "${nodeId}" has nothing connected to its a port.`);
    if (b === undefined) return shapeError('b', `ResidualAdd node "${nodeId}" has nothing connected to its b port.`);
    if (a.length !== b.length || a.some((dim, axis) => dim !== b[axis])) {
      return shapeError(
        'b',
        `ResidualAdd node "${nodeId}": port a receives ${formatSymbolicShape(a)} but port b receives ${formatSymbolicShape(b)}; both must have the same shape. ` +
          'Make the branch end at the model width.',
      );
    }
    return { ok: true, outputs: { output: a } };
  },

  compile() {
    return {
      parameters: {},
      forward(inputs) {
        return { output: add(inputs.a, inputs.b) };
      },
    };
  },
};
