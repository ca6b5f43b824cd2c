import { linear } from '../../ops/linear';
import { heNormal, xavierUniform, zeros } from '../../nn/init';
import type { Tensor } from '../../tensor/tensor';
import type { NodeTypeSpec } from '../types';
import { formatSymbolicShape } from '../shapes';
import { INPUT_PORT, OUTPUT_PORT, shapeError } from './ports';

export const denseNode: NodeTypeSpec = {
  type: 'Dense',
  label: 'Dense',
  category: 'layer',
  description:
    'A fully connected layer: every output unit is a weighted sum of all input features plus a bias, so it computes ' +
    'x · Wᵀ + b with a weight matrix of shape [units, inputs]. This is where the network learns. Follow it with an ' +
    'activation such as ReLU, otherwise two Dense layers in a row collapse into one linear map. Use He initialisation ' +
    'before ReLU and Xavier before Tanh or Sigmoid. The last Dense before the Loss needs one unit per class. On a sequence ' +
    '[B, T, features] it maps every position with the same weights.',
  inputs: [INPUT_PORT],
  outputs: [OUTPUT_PORT],
  params: [
    { kind: 'int', name: 'units', label: 'Units', help: 'Number of output features (neurons) of the layer.', default: 64, min: 1, max: 4096 },
    { kind: 'bool', name: 'bias', label: 'Bias', help: 'Adds a learned offset to every output unit.', default: true },
    {
      kind: 'enum',
      name: 'init',
      label: 'Initialisation',
      help: 'How the starting weights are drawn: He suits ReLU, Xavier suits Tanh and Sigmoid.',
      default: 'he',
      options: [
        { value: 'he', label: 'He (normal)' },
        { value: 'xavier', label: 'Xavier (uniform)' },
      ],
    },
  ],

  inferShape({ nodeId, params, inputs }) {
    const input = inputs.input;
    if (input === undefined) return shapeError('input', `Dense node "${nodeId}" has nothing connected to its input port.`);
    if (input.length < 2 || typeof input[input.length - 1] !== 'number') {
      return shapeError(
        'input',
        `Dense node "${nodeId}", port input: expects [B, features] or a sequence [B, T, features] but receives ${formatSymbolicShape(input)}. Connect it to the Input node's features or to a layer output.`,
      );
    }
    return { ok: true, outputs: { output: [...input.slice(0, -1), params.units as number] } };
  },

  compile({ params, inputShapes, rng }) {
    const units = params.units as number;
    const inFeatures = inputShapes.input[inputShapes.input.length - 1] as number;
    const weight =
      params.init === 'xavier'
        ? xavierUniform([units, inFeatures], inFeatures, units, rng)
        : heNormal([units, inFeatures], inFeatures, rng); // [units, in]
    const parameters: Record<string, Tensor> = { weight };
    if (params.bias === true) parameters.bias = zeros([units]); // [units]

    return {
      parameters,
      forward(inputs) {
        return { output: linear(inputs.input, weight, parameters.bias) }; // [..., in] -> [..., units]
      },
    };
  },
};
