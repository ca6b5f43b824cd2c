import { FeedForward } from '../../nn/feedforward';
import type { NodeTypeSpec } from '../types';
import { checkSequence, INPUT_PORT, OUTPUT_PORT } from './ports';

export const GELU_APPROXIMATION_PARAM = {
  kind: 'enum',
  name: 'approximate',
  label: 'GELU formula',
  help: 'Exact uses the error function; tanh is the faster approximation that GPT-2 uses.',
  default: 'none',
  options: [
    { value: 'none', label: 'Exact (erf)' },
    { value: 'tanh', label: 'Tanh approximation' },
  ],
} as const;

export const feedForwardNode: NodeTypeSpec = {
  type: 'FeedForward',
  label: 'Feed-forward',
  category: 'layer',
  description:
    'The position-wise network of a transformer block: a Dense layer widens each vector to the hidden width (usually 4 × ' +
    'the model width), GELU bends it, and a second Dense layer brings it back to the model width. It works on every ' +
    'position on its own, so this is where the model transforms what attention gathered. Parameters fc1 [hidden, width] ' +
    'and fc2 [width, hidden], each with a bias.',
  inputs: [INPUT_PORT],
  outputs: [OUTPUT_PORT],
  params: [
    { kind: 'int', name: 'hiddenWidth', label: 'Hidden width', help: 'Width of the middle layer, usually 4 × the model width.', default: 256, min: 1, max: 16384 },
    GELU_APPROXIMATION_PARAM,
  ],

  inferShape({ nodeId, inputs }) {
    const checked = checkSequence('FeedForward', nodeId, inputs.input);
    if (!checked.ok) return checked.result;
    return { ok: true, outputs: { output: inputs.input! } };
  },

  compile({ params, inputShapes, rng }) {
    const width = inputShapes.input[2] as number;
    const layer = new FeedForward(width, params.hiddenWidth as number, { rng, approximate: params.approximate === 'tanh' ? 'tanh' : 'none' });
    return {
      parameters: Object.fromEntries(layer.namedParameters()),
      forward(inputs) {
        return { output: layer.forward(inputs.input) }; // [B, T, C] -> [B, T, hidden] -> [B, T, C]
      },
    };
  },
};
