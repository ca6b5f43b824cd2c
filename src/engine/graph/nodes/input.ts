import { reshape } from '../../ops/reshape';
import { Tensor } from '../../tensor/tensor';
import { BATCH_DIM } from '../shapes';
import type { NodeTypeSpec } from '../types';

/** Port names of the Input node. The compiled model feeds each batch in under the same names. */
export const INPUT_FEATURES_PORT = 'features';
export const INPUT_LABELS_PORT = 'labels';

export const inputNode: NodeTypeSpec = {
  type: 'Input',
  label: 'Input',
  category: 'data',
  description:
    'Where the data enters the network. Each training step it sends one batch of samples from the chosen dataset: ' +
    'the features out of the top port, one row of numbers per sample (an image is flattened row by row, so a 28x28 ' +
    'MNIST digit becomes 784 numbers), and the true class of each sample out of the labels port. Wire the features ' +
    'into the first layer and the labels into the target of the Loss node. A graph has exactly one Input.',
  inputs: [],
  outputs: [
    { name: INPUT_FEATURES_PORT, label: 'Features', required: false },
    { name: INPUT_LABELS_PORT, label: 'Labels', required: false },
  ],
  params: [],

  inferShape({ nodeId, dataset }) {
    if (dataset.task === 'language-model') {
      return {
        ok: false,
        port: INPUT_FEATURES_PORT,
        message: `Input node "${nodeId}" reads a classification dataset, but the dataset is text. Replace it with a Token input node, or choose a classification dataset.`,
      };
    }
    const sampleSize = dataset.featureShape.reduce((product, dim) => product * dim, 1);
    return { ok: true, outputs: { [INPUT_FEATURES_PORT]: [BATCH_DIM, sampleSize], [INPUT_LABELS_PORT]: [BATCH_DIM] } };
  },

  compile() {
    return {
      parameters: {},
      forward(inputs) {
        const features = inputs[INPUT_FEATURES_PORT];
        const batchSize = features.shape[0];
        const sampleSize = features.numel / Math.max(batchSize, 1);
        const flat: Tensor = features.rank === 2 ? features : reshape(features, [batchSize, sampleSize]); // [B, ...] -> [B, F]
        return { [INPUT_FEATURES_PORT]: flat, [INPUT_LABELS_PORT]: inputs[INPUT_LABELS_PORT] };
      },
    };
  },
};
