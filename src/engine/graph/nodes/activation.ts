import type { Tensor } from '../../tensor/tensor';
import type { NodeTypeSpec } from '../types';
import { formatSymbolicShape } from '../shapes';
import { INPUT_PORT, OUTPUT_PORT, shapeError } from './ports';

/** Builds the spec of an element-wise activation: any input shape, the same shape out, no parameters. */
export function activationNode(
  type: string,
  description: string,
  apply: (input: Tensor) => Tensor,
): NodeTypeSpec {
  return {
    type,
    label: type,
    category: 'activation',
    description,
    inputs: [INPUT_PORT],
    outputs: [OUTPUT_PORT],
    params: [],

    inferShape({ nodeId, inputs }) {
      const input = inputs.input;
      if (input === undefined) return shapeError('input', `${type} node "${nodeId}" has nothing connected to its input port.`);
      if (input.length === 0) {
        return shapeError(
          'input',
          `${type} node "${nodeId}", port input: receives the scalar ${formatSymbolicShape(input)}. Connect it to a layer output, not to a Loss.`,
        );
      }
      return { ok: true, outputs: { output: input } };
    },

    compile() {
      return {
        parameters: {},
        forward(inputs) {
          return { output: apply(inputs.input) };
        },
      };
    },
  };
}
