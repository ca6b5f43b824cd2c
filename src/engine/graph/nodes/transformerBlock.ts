import { TransformerBlock } from '../../nn/block';
import type { Tensor } from '../../tensor/tensor';
import type { NodeTypeSpec } from '../types';
import { GELU_APPROXIMATION_PARAM } from './feedForward';
import { checkHeadsDivideWidth } from './multiHeadAttention';
import { checkSequence, INPUT_PORT, OUTPUT_PORT } from './ports';

export const transformerBlockNode: NodeTypeSpec = {
  type: 'TransformerBlock',
  label: 'Transformer block',
  category: 'attention',
  description:
    'A whole pre-norm transformer block as one node, as in GPT-2: x + attention(norm(x)), then x + feed-forward(norm(x)). ' +
    'The attention lets each position gather information from earlier ones, the feed-forward transforms each position on ' +
    'its own, and the residual adds keep the signal flowing through deep stacks. Stack a few blocks between the ' +
    'positional encoding and the final norm. Its parameters are named ln1, attn.heads.0.w_q …, attn.w_o, ln2 and ff.fc1, ' +
    'ff.fc2, after the node id. Insert the expanded template instead to see and rewire every piece.',
  inputs: [INPUT_PORT],
  outputs: [OUTPUT_PORT],
  params: [
    { kind: 'int', name: 'heads', label: 'Heads', help: 'Attention heads; the count must divide the model width.', default: 4, min: 1, max: 64 },
    { kind: 'int', name: 'hiddenWidth', label: 'Feed-forward width', help: 'Width of the middle layer of the feed-forward, usually 4 × the model width.', default: 256, min: 1, max: 16384 },
    {
      kind: 'enum',
      name: 'norm',
      label: 'Normalisation',
      help: 'LayerNorm as GPT-2, or RMSNorm as LLaMA.',
      default: 'layer',
      options: [
        { value: 'layer', label: 'LayerNorm' },
        { value: 'rms', label: 'RMSNorm' },
      ],
    },
    GELU_APPROXIMATION_PARAM,
    { kind: 'float', name: 'dropout', label: 'Dropout', help: 'Dropout probability on the attention and feed-forward outputs in training.', default: 0, min: 0, max: 0.9 },
    { kind: 'bool', name: 'causal', label: 'Causal', help: 'Hides later positions from earlier ones, as a language model needs.', default: true },
  ],

  inferShape({ nodeId, params, inputs }) {
    const checked = checkSequence('TransformerBlock', nodeId, inputs.input);
    if (!checked.ok) return checked.result;
    const divideError = checkHeadsDivideWidth('TransformerBlock', nodeId, params.heads as number, checked.shape[2]);
    if (divideError !== null) return divideError;
    return { ok: true, outputs: { output: inputs.input! } };
  },

  compile({ params, inputShapes, rng }) {
    const width = inputShapes.input[2] as number;
    const block = new TransformerBlock(width, params.heads as number, {
      rng,
      feedForwardWidth: params.hiddenWidth as number,
      causal: params.causal === true,
      approximate: params.approximate === 'tanh' ? 'tanh' : 'none',
      norm: params.norm === 'rms' ? 'rms' : 'layer',
      dropout: params.dropout as number,
    });
    let weights: Tensor[] = [];
    return {
      parameters: Object.fromEntries(block.namedParameters()),
      forward(inputs, mode) {
        block.train(mode === 'train');
        const result = block.attend(inputs.input); // [B, T, C] -> [B, T, C]
        weights = result.weights;
        return { output: result.output };
      },
      lastAttention: () => weights,
    };
  },
};
