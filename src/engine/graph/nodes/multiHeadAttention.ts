import { MultiHeadAttention } from '../../nn/attention';
import type { Tensor } from '../../tensor/tensor';
import type { NodeTypeSpec, ShapeResult } from '../types';
import { checkSequence, INPUT_PORT, OUTPUT_PORT, shapeError } from './ports';

export const multiHeadAttentionNode: NodeTypeSpec = {
  type: 'MultiHeadAttention',
  label: 'Multi-head attention',
  category: 'attention',
  description:
    'Several attention heads side by side over the same input, each with its own W_Q, W_K and W_V, so each head can look ' +
    'for a different pattern (the previous character, the start of the word, a matching quote). The model width is split ' +
    'evenly between the heads, so the head count must divide it: 4 heads on width 64 gives heads of size 16. The head ' +
    'outputs are joined and mixed back to the model width by the output matrix W_O. Heads are named heads.0, heads.1 … ' +
    'and the attention view shows each one.',
  inputs: [INPUT_PORT],
  outputs: [OUTPUT_PORT],
  params: [
    { kind: 'int', name: 'heads', label: 'Heads', help: 'Number of heads; it must divide the model width.', default: 4, min: 1, max: 64 },
    { kind: 'bool', name: 'causal', label: 'Causal', help: 'Hides later positions from earlier ones, as a language model needs.', default: true },
  ],

  inferShape({ nodeId, params, inputs }) {
    const checked = checkSequence('MultiHeadAttention', nodeId, inputs.input);
    if (!checked.ok) return checked.result;
    const divideError = checkHeadsDivideWidth('MultiHeadAttention', nodeId, params.heads as number, checked.shape[2]);
    if (divideError !== null) return divideError;
    return { ok: true, outputs: { output: inputs.input! } };
  },

  compile({ params, inputShapes, rng }) {
    const width = inputShapes.input[2] as number;
    const attention = new MultiHeadAttention(width, params.heads as number, { rng, causal: params.causal === true });
    let weights: Tensor[] = [];
    return {
      parameters: Object.fromEntries(attention.namedParameters()),
      forward(inputs) {
        const result = attention.attend(inputs.input); // [B, T, C] -> [B, T, C]
        weights = result.weights;
        return { output: result.output };
      },
      lastAttention: () => weights,
    };
  },
};

/** Returns a shape error naming the node, the head count and the width when the heads do not split the width evenly. */
export function checkHeadsDivideWidth(type: string, nodeId: string, heads: number, width: number): ShapeResult | null {
  if (width % heads === 0) return null;
  const divisors: number[] = [];
  for (let count = 1; count <= Math.min(width, 64); count++) if (width % count === 0) divisors.push(count);
  return shapeError(
    'input',
    `${type} node "${nodeId}": ${heads} heads do not divide the model width ${width}, so the heads cannot share it evenly. ` +
      `Set heads to a divisor of ${width} (${divisors.join(', ')}) or change the width of the Embedding.`,
  );
}
