import { LayerNorm, RMSNorm } from '../../nn/norm';
import { formatSymbolicShape } from '../shapes';
import type { NodeTypeSpec } from '../types';
import { INPUT_PORT, OUTPUT_PORT, shapeError } from './ports';

const EPS_PARAM = {
  kind: 'float',
  name: 'eps',
  label: 'Epsilon',
  help: 'Small number added under the square root so a constant vector does not divide by zero.',
  default: 1e-5,
  min: 1e-12,
  max: 0.1,
} as const;

/** Builds a normalisation node: any input whose last axis has a fixed width, the same shape out. */
function normNode(type: 'LayerNorm' | 'RMSNorm', label: string, description: string): NodeTypeSpec {
  return {
    type,
    label,
    category: 'normalization',
    description,
    inputs: [INPUT_PORT],
    outputs: [OUTPUT_PORT],
    params: [EPS_PARAM],

    inferShape({ nodeId, inputs }) {
      const input = inputs.input;
      if (input === undefined) return shapeError('input', `${type} node "${nodeId}" has nothing connected to its input port.`);
      if (input.length === 0 || typeof input[input.length - 1] !== 'number') {
        return shapeError('input', `${type} node "${nodeId}", port input: receives ${formatSymbolicShape(input)}, which has no fixed last axis to normalise over.`);
      }
      return { ok: true, outputs: { output: input } };
    },

    compile({ params, inputShapes }) {
      const shape = inputShapes.input;
      const width = shape[shape.length - 1] as number;
      const eps = params.eps as number;
      const layer = type === 'LayerNorm' ? new LayerNorm(width, { eps }) : new RMSNorm(width, { eps });
      return {
        parameters: Object.fromEntries(layer.namedParameters()),
        forward(inputs) {
          return { output: layer.forward(inputs.input) }; // [..., C] -> [..., C]
        },
      };
    },
  };
}

export const layerNormNode = normNode(
  'LayerNorm',
  'LayerNorm',
  'Layer normalisation: rescales each vector (each token position on its own) to mean 0 and variance 1 over its width, ' +
    'then multiplies by a learned gain and adds a learned bias, both [width]. Keeping activations at a steady scale lets ' +
    'deep stacks of blocks train. A pre-norm transformer block applies it before the attention and before the feed-forward.',
);

export const rmsNormNode = normNode(
  'RMSNorm',
  'RMSNorm',
  'Root-mean-square normalisation: divides each vector by the root of the mean of its squares and multiplies by a learned ' +
    'gain [width]. Unlike LayerNorm it neither subtracts the mean nor adds a bias, so it is cheaper; LLaMA and many later ' +
    'models use it in place of LayerNorm.',
);
