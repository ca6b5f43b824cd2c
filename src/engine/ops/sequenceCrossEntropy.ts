import { formatShape, type Tensor } from '../tensor/tensor';
import { softmaxCrossEntropy } from './crossentropy';
import { reshape } from './reshape';
import { checkRank, checkTensor } from './validate';

/**
 * Returns the next-token loss of a language model: the mean over all B·T
 * positions of −log softmax(logits)[target], as a scalar of shape [].
 * `logits` is [B, T, V] and `targets` contains B·T token ids in row-major order.
 */
export function sequenceCrossEntropy(logits: Tensor, targets: Int32Array): Tensor {
  checkTensor('sequenceCrossEntropy', 'logits', logits);
  checkRank('sequenceCrossEntropy', 'logits', logits, 3);
  if (!(targets instanceof Int32Array)) {
    throw new Error(`sequenceCrossEntropy: targets must be an Int32Array of token ids, got ${targets === null ? 'null' : typeof targets}.`);
  }
  const [batchSize, length, vocabularySize] = logits.shape;
  if (targets.length !== batchSize * length) {
    throw new Error(
      `sequenceCrossEntropy: logits is ${formatShape(logits.shape)} but targets has ${targets.length} entries; give one target per position, ${batchSize * length} in all.`,
    );
  }
  for (let i = 0; i < targets.length; i++) {
    if (targets[i] < 0 || targets[i] >= vocabularySize) {
      throw new Error(`sequenceCrossEntropy: targets[${i}] is ${targets[i]}, outside the vocabulary range [0, ${vocabularySize - 1}] of logits ${formatShape(logits.shape)}.`);
    }
  }
  return softmaxCrossEntropy(reshape(logits, [batchSize * length, vocabularySize]), targets); // [B, T, V] -> [B·T, V]
}
