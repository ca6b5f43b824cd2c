import { reshape } from '../../ops/reshape';
import { BATCH_DIM } from '../shapes';
import type { NodeTypeSpec } from '../types';
import { INPUT_FEATURES_PORT, INPUT_LABELS_PORT } from './input';
import { shapeError } from './ports';

/** Port names of the Token input node. */
export const TOKEN_INPUT_TOKENS_PORT = 'tokens';
export const TOKEN_INPUT_TARGETS_PORT = 'targets';

export const tokenInputNode: NodeTypeSpec = {
  type: 'TokenInput',
  label: 'Token input',
  category: 'data',
  description:
    'Where text enters a language model. Each training step it cuts a batch of windows of contextLength tokens from the ' +
    'text dataset (one token per character with the character tokenizer) and sends their token ids out of the tokens port, ' +
    'shape [B, T]. The targets port sends the same windows shifted one token to the left, so at every position the target ' +
    'is the token that comes next. Wire tokens into an Embedding and targets into the target of the Loss. The context ' +
    'length is how far back the model can look, and the longest prompt it reads when generating.',
  inputs: [],
  outputs: [
    { name: TOKEN_INPUT_TOKENS_PORT, label: 'Tokens', required: false },
    { name: TOKEN_INPUT_TARGETS_PORT, label: 'Targets (next tokens)', required: false },
  ],
  params: [
    {
      kind: 'int',
      name: 'contextLength',
      label: 'Context length',
      help: 'Tokens per training window (T), and the most tokens the model reads at once.',
      default: 64,
      min: 1,
      max: 1024,
    },
  ],

  inferShape({ nodeId, params, dataset }) {
    if (dataset.task !== 'language-model') {
      return shapeError(
        TOKEN_INPUT_TOKENS_PORT,
        `TokenInput node "${nodeId}" reads text, but the dataset is a classification dataset. Choose the brown or text-file dataset, or use an Input node instead.`,
      );
    }
    const length = params.contextLength as number;
    return { ok: true, outputs: { [TOKEN_INPUT_TOKENS_PORT]: [BATCH_DIM, length], [TOKEN_INPUT_TARGETS_PORT]: [BATCH_DIM, length] } };
  },

  compile() {
    return {
      parameters: {},
      forward(inputs) {
        // The compiled model feeds every data node its batch under the Input node's port names.
        const tokens = inputs[INPUT_FEATURES_PORT]; // [B, T]
        const targets = reshape(inputs[INPUT_LABELS_PORT], tokens.shape); // [B·T] -> [B, T]
        return { [TOKEN_INPUT_TOKENS_PORT]: tokens, [TOKEN_INPUT_TARGETS_PORT]: targets };
      },
    };
  },
};
