import { softmaxWithTemperature } from '../../ops/temperature';
import type { NodeTypeSpec } from '../types';
import { formatSymbolicShape } from '../shapes';
import { INPUT_PORT, OUTPUT_PORT, shapeError } from './ports';

export const softmaxTemperatureNode: NodeTypeSpec = {
  type: 'SoftmaxTemperature',
  label: 'Softmax (temperature)',
  category: 'activation',
  description:
    'Turns each row of scores (logits) into probabilities after dividing them by the temperature: softmax(logits / T). ' +
    'A temperature below 1 sharpens the distribution towards the most likely token, above 1 flattens it towards a uniform ' +
    'guess. Place it after the Unembedding to watch next-token probabilities. A cross-entropy Loss fed by it still trains ' +
    'on the logits that enter it, so the temperature changes what you see and not what the model learns; generation sets ' +
    'its own temperature.',
  inputs: [INPUT_PORT],
  outputs: [OUTPUT_PORT],
  params: [{ kind: 'float', name: 'temperature', label: 'Temperature', help: 'Divides the logits before the softmax.', default: 1, min: 0.05, max: 10 }],
  logitsInput: 'input',

  inferShape({ nodeId, inputs }) {
    const input = inputs.input;
    if (input === undefined) return shapeError('input', `SoftmaxTemperature node "${nodeId}" has nothing connected to its input port.`);
    if (input.length === 0) {
      return shapeError('input', `SoftmaxTemperature node "${nodeId}", port input: receives the scalar ${formatSymbolicShape(input)}. Connect it to a layer output.`);
    }
    return { ok: true, outputs: { output: input } };
  },

  compile({ params }) {
    const temperature = params.temperature as number;
    return {
      parameters: {},
      forward(inputs) {
        return { output: softmaxWithTemperature(inputs.input, temperature, -1) };
      },
    };
  },
};
