import { xavierUniform, zeros } from '../../nn/init';
import { linear } from '../../ops/linear';
import type { Tensor } from '../../tensor/tensor';
import type { NodeTypeSpec } from '../types';
import { VOCABULARY_DIM } from './embedding';
import { checkSequence, INPUT_PORT, OUTPUT_PORT, shapeError } from './ports';

export const unembeddingNode: NodeTypeSpec = {
  type: 'Unembedding',
  label: 'Unembedding',
  category: 'embedding',
  description:
    'Turns each position\'s vector back into one score (logit) per token of the vocabulary with the matrix W_U ' +
    '[vocabulary, width]: the higher the score, the more likely that token comes next. Feed its output to the Loss, or to a ' +
    'Softmax (temperature) to read probabilities. Set "tie to" to the id of the Embedding node to reuse its table W_E as ' +
    'W_U, as GPT-2 does: the model then has one table fewer to learn, and a checkpoint stores it once under the ' +
    'Embedding\'s name.',
  inputs: [INPUT_PORT],
  outputs: [OUTPUT_PORT],
  params: [
    { kind: 'text', name: 'tieTo', label: 'Tie to Embedding', help: 'Id of an Embedding node whose table to reuse; empty for an own matrix.', default: '' },
    { kind: 'bool', name: 'bias', label: 'Bias', help: 'Adds a learned score per token.', default: false },
  ],

  inferShape({ nodeId, params, inputs, dataset, lookupNode }) {
    const checked = checkSequence('Unembedding', nodeId, inputs.input);
    if (!checked.ok) return checked.result;
    if (dataset.task !== 'language-model') {
      return shapeError('input', `Unembedding node "${nodeId}" scores the tokens of a vocabulary, but the dataset has none. Choose the brown or text-file dataset.`);
    }
    const [batch, length, width] = checked.shape;
    const tieTo = params.tieTo as string;
    if (tieTo !== '' && lookupNode !== undefined) {
      const tied = lookupNode(tieTo);
      if (tied === undefined || tied.type !== 'Embedding') {
        const found = tied === undefined ? 'there is no node with that id' : `that node is a ${tied.type}`;
        return shapeError('input', `Unembedding node "${nodeId}", parameter tieTo: "${tieTo}" must name an Embedding node, but ${found}. Enter the id of the Embedding node, or clear the field.`);
      }
      if (tied.params.width !== width) {
        return shapeError(
          'input',
          `Unembedding node "${nodeId}" is tied to Embedding "${tieTo}" of width ${String(tied.params.width)} but receives vectors of width ${width}. Tie it to an Embedding of width ${width}, or clear tieTo.`,
        );
      }
    }
    return { ok: true, outputs: { output: [batch, length, dataset.vocabularySize ?? VOCABULARY_DIM] } };
  },

  compile({ nodeId, params, inputShapes, dataset, rng, parameterOf }) {
    const vocabularySize = dataset.vocabularySize;
    if (vocabularySize === undefined) {
      throw new Error(`Unembedding node "${nodeId}" cannot be built before the text is loaded, because its vocabulary size is unknown.`);
    }
    const width = inputShapes.input[2] as number;
    const tieTo = params.tieTo as string;
    const parameters: Record<string, Tensor> = {};
    if (tieTo === '') parameters.weight = xavierUniform([vocabularySize, width], width, vocabularySize, rng); // [V, C]
    if (params.bias === true) parameters.bias = zeros([vocabularySize]); // [V]

    return {
      parameters,
      forward(inputs) {
        const weight = tieTo === '' ? parameters.weight : parameterOf(tieTo, 'weight');
        if (weight === undefined) throw new Error(`Unembedding node "${nodeId}": the tied Embedding node "${tieTo}" has no weight. Check the tieTo parameter.`);
        return { output: linear(inputs.input, weight, parameters.bias) }; // [B, T, C] -> [B, T, V]
      },
    };
  },
};
