import { AttentionHead } from '../../nn/attention';
import type { Tensor } from '../../tensor/tensor';
import type { NodeTypeSpec } from '../types';
import { checkSequence, INPUT_PORT, OUTPUT_PORT } from './ports';

export const attentionHeadNode: NodeTypeSpec = {
  type: 'AttentionHead',
  label: 'Attention head',
  category: 'attention',
  description:
    'One head of self-attention. Every position makes a query, a key and a value from its vector with its own matrices ' +
    'W_Q, W_K and W_V ([head size, width] each). The query of position i is compared with the key of every position j ' +
    'by a scaled dot product, a softmax turns the scores into weights that sum to 1, and the output at i is the weighted ' +
    'mix of the values. With causal on, position i only sees positions up to i, which a language model needs so it cannot ' +
    'peek at the token it must predict. The weights are what the attention view draws. Wire several heads into a Concat ' +
    'and a Dense to build multi-head attention by hand.',
  inputs: [INPUT_PORT],
  outputs: [OUTPUT_PORT],
  params: [
    { kind: 'int', name: 'headSize', label: 'Head size', help: 'Width of the query, key and value vectors, and of the output.', default: 16, min: 1, max: 1024 },
    { kind: 'bool', name: 'causal', label: 'Causal', help: 'Hides later positions from earlier ones, as a language model needs.', default: true },
  ],

  inferShape({ nodeId, params, inputs }) {
    const checked = checkSequence('AttentionHead', nodeId, inputs.input);
    if (!checked.ok) return checked.result;
    const [batch, length] = checked.shape;
    return { ok: true, outputs: { output: [batch, length, params.headSize as number] } };
  },

  compile({ params, inputShapes, rng }) {
    const width = inputShapes.input[2] as number;
    const head = new AttentionHead(width, params.headSize as number, { rng, causal: params.causal === true });
    let weights: Tensor[] = [];
    return {
      parameters: Object.fromEntries(head.namedParameters()),
      forward(inputs) {
        const result = head.attend(inputs.input); // [B, T, C] -> [B, T, H]
        weights = result.weights;
        return { output: result.output };
      },
      lastAttention: () => weights,
    };
  },
};
