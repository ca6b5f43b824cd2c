import { PositionalEncoding } from '../../nn/positional';
import type { NodeTypeSpec } from '../types';
import { checkSequence, INPUT_PORT, OUTPUT_PORT, shapeError } from './ports';

export const positionalEncodingNode: NodeTypeSpec = {
  type: 'PositionalEncoding',
  label: 'Positional encoding',
  category: 'embedding',
  description:
    'Adds a vector that depends only on the position in the window to each token vector, because attention by itself ' +
    'cannot tell the first token from the last. Learned positions are one trained row per position, [context length, width], ' +
    'as in GPT-2. Sinusoidal positions are fixed sines and cosines of different frequencies, as in the original ' +
    'transformer, and have no parameters. Place it right after the Embedding.',
  inputs: [INPUT_PORT],
  outputs: [OUTPUT_PORT],
  params: [
    {
      kind: 'enum',
      name: 'kind',
      label: 'Kind',
      help: 'Learned: one trained vector per position. Sinusoidal: fixed sines and cosines.',
      default: 'learned',
      options: [
        { value: 'learned', label: 'Learned' },
        { value: 'sinusoidal', label: 'Sinusoidal' },
      ],
    },
  ],

  inferShape({ nodeId, inputs }) {
    const checked = checkSequence('PositionalEncoding', nodeId, inputs.input);
    if (!checked.ok) return checked.result;
    if (typeof checked.shape[1] !== 'number') {
      return shapeError('input', `PositionalEncoding node "${nodeId}", port input: the sequence length ${checked.shape[1]} is not fixed. Feed it from a Token input, whose context length sets it.`);
    }
    return { ok: true, outputs: { output: inputs.input! } };
  },

  compile({ params, inputShapes, rng }) {
    const [, length, width] = inputShapes.input as [unknown, number, number];
    const layer = new PositionalEncoding(length, width, { kind: params.kind === 'sinusoidal' ? 'sinusoidal' : 'learned', rng });
    return {
      parameters: Object.fromEntries(layer.namedParameters()),
      forward(inputs) {
        return { output: layer.forward(inputs.input) }; // [B, T, C] + [T, C]
      },
    };
  },
};
