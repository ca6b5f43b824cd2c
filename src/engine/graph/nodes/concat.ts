import { concat } from '../../ops/concat';
import type { Tensor } from '../../tensor/tensor';
import { formatSymbolicShape } from '../shapes';
import type { NodeTypeSpec, PortSpec, SymbolicShape } from '../types';
import { OUTPUT_PORT, shapeError } from './ports';

/** Most inputs a Concat node joins. */
export const CONCAT_MAX_INPUTS = 8;

const CONCAT_INPUTS: readonly PortSpec[] = Array.from({ length: CONCAT_MAX_INPUTS }, (_unused, index) => ({
  name: `input${index + 1}`,
  label: `Input ${index + 1}`,
  required: index < 2,
}));

export const concatNode: NodeTypeSpec = {
  type: 'Concat',
  label: 'Concat',
  category: 'layer',
  description:
    'Joins its inputs side by side along the last axis, in port order: [B, T, 16] and [B, T, 16] become [B, T, 32]. ' +
    'Every other axis must match. Use it to gather the outputs of attention heads wired by hand, then mix them with a ' +
    'Dense layer of the model width, which plays the part of the output matrix W_O of multi-head attention.',
  inputs: CONCAT_INPUTS,
  outputs: [OUTPUT_PORT],
  params: [],

  inferShape({ nodeId, inputs }) {
    const connected = CONCAT_INPUTS.map((port) => [port.name, inputs[port.name]] as const).filter(
      (entry): entry is readonly [string, SymbolicShape] => entry[1] !== undefined,
    );
    if (connected.length < 2) return shapeError('input2', `Concat node "${nodeId}" joins at least two inputs; connect input1 and input2.`);
    const [firstPort, first] = connected[0];
    let joined = 0;
    for (const [port, shape] of connected) {
      const last = shape[shape.length - 1];
      if (shape.length === 0 || typeof last !== 'number') {
        return shapeError(port, `Concat node "${nodeId}", port ${port}: receives ${formatSymbolicShape(shape)}, which has no fixed last axis to join along.`);
      }
      const matches = shape.length === first.length && shape.slice(0, -1).every((dim, axis) => dim === first[axis]);
      if (!matches) {
        return shapeError(
          port,
          `Concat node "${nodeId}", port ${port}: receives ${formatSymbolicShape(shape)} but ${firstPort} receives ${formatSymbolicShape(first)}; ` +
            'every axis but the last must match. Feed all inputs from the same sequence.',
        );
      }
      joined += last;
    }
    return { ok: true, outputs: { output: [...first.slice(0, -1), joined] } };
  },

  compile() {
    return {
      parameters: {},
      forward(inputs) {
        const parts: Tensor[] = [];
        for (const port of CONCAT_INPUTS) if (inputs[port.name] !== undefined) parts.push(inputs[port.name]);
        return { output: concat(parts, -1) }; // N × [..., Cᵢ] -> [..., ΣCᵢ]
      },
    };
  },
};
