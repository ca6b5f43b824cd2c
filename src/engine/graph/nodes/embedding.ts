import { Embedding } from '../../nn/embedding';
import { formatSymbolicShape } from '../shapes';
import type { NodeTypeSpec } from '../types';
import { INPUT_PORT, OUTPUT_PORT, shapeError } from './ports';

/** Symbol for the vocabulary size of a text dataset whose text is not loaded yet. */
export const VOCABULARY_DIM = 'V';

export const embeddingNode: NodeTypeSpec = {
  type: 'Embedding',
  label: 'Embedding',
  category: 'embedding',
  description:
    'Turns each token id into a learned vector of width numbers by looking up one row of the table W_E, which has one row ' +
    'per token of the vocabulary: [vocabulary, width]. The vocabulary size comes from the dataset and its tokenizer. ' +
    'Tokens that behave alike end up with similar rows. This width is the model width that every later layer keeps, so ' +
    'the attention heads and blocks after it read vectors of this size. Connect the tokens port of the Token input here.',
  inputs: [{ ...INPUT_PORT, label: 'Token ids' }],
  outputs: [OUTPUT_PORT],
  params: [
    { kind: 'int', name: 'width', label: 'Model width', help: 'Length of each token vector (C), the width of the whole model.', default: 64, min: 1, max: 4096 },
  ],

  inferShape({ nodeId, params, inputs, dataset }) {
    const input = inputs.input;
    if (input === undefined) return shapeError('input', `Embedding node "${nodeId}" has nothing connected to its input port.`);
    if (dataset.task !== 'language-model') {
      return shapeError('input', `Embedding node "${nodeId}" looks up token ids, but the dataset has no tokens. Choose the brown or text-file dataset.`);
    }
    if (input.length !== 2) {
      return shapeError(
        'input',
        `Embedding node "${nodeId}", port input: expects token ids [B, T] but receives ${formatSymbolicShape(input)}. Connect the tokens port of a Token input node.`,
      );
    }
    return { ok: true, outputs: { output: [input[0], input[1], params.width as number] } };
  },

  compile({ nodeId, params, dataset, rng }) {
    const vocabularySize = dataset.vocabularySize;
    if (vocabularySize === undefined) {
      throw new Error(`Embedding node "${nodeId}" cannot be built before the text is loaded, because its vocabulary size is unknown.`);
    }
    const layer = new Embedding(vocabularySize, params.width as number, { rng, std: 0.02 });
    return {
      parameters: Object.fromEntries(layer.namedParameters()),
      forward(inputs) {
        return { output: layer.forward(inputs.input) }; // [B, T] -> [B, T, C]
      },
    };
  },
};
