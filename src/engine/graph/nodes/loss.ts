import { softmaxCrossEntropy } from '../../ops/crossentropy';
import { mseLoss } from '../../ops/mse';
import { sequenceCrossEntropy } from '../../ops/sequenceCrossEntropy';
import { Tensor } from '../../tensor/tensor';
import { logitsInputKey } from '../logits';
import { formatSymbolicShape } from '../shapes';
import type { NodeTypeSpec, ShapeResult, SymbolicShape } from '../types';
import { VOCABULARY_DIM } from './embedding';
import { shapeError } from './ports';

export const lossNode: NodeTypeSpec = {
  type: 'Loss',
  label: 'Loss',
  category: 'loss',
  description:
    'Measures how wrong the predictions are. Training changes the weights to make this number smaller. Connect the ' +
    'last layer to prediction and the labels port of the Input node to target. Cross-entropy is the standard choice for ' +
    'classification: it treats the prediction as raw scores (logits), one per class, and applies the softmax itself. ' +
    'When the prediction comes straight from a Softmax node, it takes the scores entering that Softmax instead of ' +
    'its probabilities, which keeps the logarithm numerically stable. Mean squared error compares the prediction ' +
    'with the one-hot encoding of the label (1 for the true class, 0 elsewhere). For a language model, connect the logits ' +
    '[B, T, V] of the Unembedding to prediction and the targets of the Token input to target: the loss is then the ' +
    'next-token cross-entropy averaged over every position, in nats per token. A graph has exactly one Loss.',
  inputs: [
    { name: 'prediction', label: 'Prediction', required: true },
    { name: 'target', label: 'Target (labels)', required: true },
  ],
  outputs: [{ name: 'loss', label: 'Loss', required: false }],
  params: [
    {
      kind: 'enum',
      name: 'kind',
      label: 'Loss function',
      help: 'Cross-entropy for classification with logits, or mean squared error against one-hot labels.',
      default: 'cross-entropy',
      options: [
        { value: 'cross-entropy', label: 'Cross-entropy' },
        { value: 'mse', label: 'Mean squared error' },
      ],
    },
  ],

  inferShape({ nodeId, inputs, dataset }) {
    const { prediction, target } = inputs;
    if (prediction === undefined) return shapeError('prediction', `Loss node "${nodeId}" has nothing connected to its prediction port.`);
    if (target === undefined) return shapeError('target', `Loss node "${nodeId}" has nothing connected to its target port.`);

    if (dataset.task === 'language-model') return inferSequenceLoss(nodeId, prediction, target, dataset.vocabularySize);

    const classes = dataset.classCount;
    if (prediction.length !== 2 || prediction[1] !== classes) {
      const expected = formatSymbolicShape([prediction[0] ?? 'B', classes]);
      return shapeError(
        'prediction',
        `Loss node "${nodeId}", port prediction: receives ${formatSymbolicShape(prediction)} but the dataset has ${classes} classes, so it must be ${expected}. Set the units of the layer feeding it to ${classes}.`,
      );
    }
    if (target.length !== 1) {
      return shapeError(
        'target',
        `Loss node "${nodeId}", port target: receives ${formatSymbolicShape(target)} but expects the labels [B]. Connect the Input node's labels port here.`,
      );
    }
    if (target[0] !== prediction[0]) {
      return shapeError(
        'target',
        `Loss node "${nodeId}": the target ${formatSymbolicShape(target)} and the prediction ${formatSymbolicShape(prediction)} have different batch sizes. Feed both from the same Input node.`,
      );
    }
    return { ok: true, outputs: { loss: [] } };
  },

  compile({ params }) {
    const kind = params.kind;
    return {
      parameters: {},
      forward(inputs) {
        const prediction = inputs.prediction; // [B, C] or [B, T, V]
        const labels = Int32Array.from(inputs.target.data); // [B] or [B·T]
        if (prediction.rank === 3) {
          const logits = inputs[logitsInputKey('prediction')] ?? prediction; // [B, T, V]
          return { loss: sequenceCrossEntropy(logits, labels) };
        }
        if (kind === 'mse') return { loss: mseLoss(prediction, oneHot(labels, prediction.shape[1])) };

        const logits = inputs[logitsInputKey('prediction')] ?? prediction; // [B, C]
        return { loss: softmaxCrossEntropy(logits, labels) };
      },
    };
  },
};

/** Returns [B, classCount] with 1 at each sample's label and 0 elsewhere. */
function oneHot(labels: Int32Array, classCount: number): Tensor {
  const values = new Float32Array(labels.length * classCount);
  labels.forEach((label, row) => {
    values[row * classCount + label] = 1;
  });
  return new Tensor(values, [labels.length, classCount]); // [B, C]
}

/** Shape rule of a next-token loss: logits [B, T, V] against targets [B, T]. */
function inferSequenceLoss(nodeId: string, prediction: SymbolicShape, target: SymbolicShape, vocabularySize: number | undefined): ShapeResult {
  const vocabulary = vocabularySize ?? VOCABULARY_DIM;
  if (prediction.length !== 3 || (vocabularySize !== undefined && prediction[2] !== vocabularySize)) {
    return shapeError(
      'prediction',
      `Loss node "${nodeId}", port prediction: receives ${formatSymbolicShape(prediction)} but a language model needs next-token logits [B, T, ${vocabulary}], one score per token of the vocabulary. Feed it from an Unembedding node.`,
    );
  }
  if (vocabularySize === undefined && prediction[2] !== VOCABULARY_DIM) {
    return shapeError(
      'prediction',
      `Loss node "${nodeId}", port prediction: receives ${formatSymbolicShape(prediction)} but the last axis must be the vocabulary size ${VOCABULARY_DIM}, which depends on the text. Feed it from an Unembedding node.`,
    );
  }
  if (target.length !== 2 || target[0] !== prediction[0] || target[1] !== prediction[1]) {
    return shapeError(
      'target',
      `Loss node "${nodeId}", port target: receives ${formatSymbolicShape(target)} but the prediction ${formatSymbolicShape(prediction)} needs targets [${prediction[0]}, ${prediction[1]}]. Connect the targets port of the Token input here.`,
    );
  }
  return { ok: true, outputs: { loss: [] } };
}
