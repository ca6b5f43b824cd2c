import { Dropout } from '../../nn/dropout';
import type { NodeTypeSpec } from '../types';
import { formatSymbolicShape } from '../shapes';
import { INPUT_PORT, OUTPUT_PORT, shapeError } from './ports';

export const dropoutNode: NodeTypeSpec = {
  type: 'Dropout',
  label: 'Dropout',
  category: 'layer',
  description:
    'During training, sets each value to 0 with probability p and scales the others by 1 / (1 − p), so the expected value ' +
    'stays the same. The network cannot rely on any single unit, which reduces overfitting on small datasets. During ' +
    'validation and generation it passes values through unchanged. The dropped values come from the run seed, so a run ' +
    'is reproducible.',
  inputs: [INPUT_PORT],
  outputs: [OUTPUT_PORT],
  params: [{ kind: 'float', name: 'p', label: 'Probability', help: 'Share of values set to 0 in each training step.', default: 0.1, min: 0, max: 0.9 }],

  inferShape({ nodeId, inputs }) {
    const input = inputs.input;
    if (input === undefined) return shapeError('input', `Dropout node "${nodeId}" has nothing connected to its input port.`);
    if (input.length === 0) return shapeError('input', `Dropout node "${nodeId}", port input: receives the scalar ${formatSymbolicShape(input)}. Connect it to a layer output.`);
    return { ok: true, outputs: { output: input } };
  },

  compile({ params, rng }) {
    const layer = new Dropout(params.p as number, rng.fork());
    return {
      parameters: {},
      forward(inputs, mode) {
        layer.train(mode === 'train');
        return { output: layer.forward(inputs.input) };
      },
    };
  },
};
