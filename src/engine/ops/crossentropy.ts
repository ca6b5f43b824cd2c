import { formatShape, Tensor } from '../tensor/tensor';
import { checkRank, checkTensor } from './validate';

/**
 * Returns the mean over the batch of −log softmax(logits)[label], as a scalar
 * of shape []. `logits` is [N, C] and `labels` contains N class indices in [0, C).
 * The log-sum-exp subtracts each row's maximum, so large logits stay finite.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Int32Array): Tensor {
  checkTensor('softmaxCrossEntropy', 'logits', logits);
  checkRank('softmaxCrossEntropy', 'logits', logits, 2);
  if (!(labels instanceof Int32Array)) {
    throw new Error(`softmaxCrossEntropy: labels must be an Int32Array of class indices, got ${labels === null ? 'null' : typeof labels}.`);
  }
  const [batchSize, classCount] = logits.shape;
  if (labels.length !== batchSize) {
    throw new Error(
      `softmaxCrossEntropy: logits is ${formatShape(logits.shape)} but labels has ${labels.length} entries; give one label per row of logits.`,
    );
  }
  if (batchSize === 0) throw new Error(`softmaxCrossEntropy: logits is ${formatShape(logits.shape)}, an empty batch has no mean loss.`);
  for (let n = 0; n < batchSize; n++) {
    if (labels[n] < 0 || labels[n] >= classCount) {
      throw new Error(`softmaxCrossEntropy: labels[${n}] is ${labels[n]}, outside the class range [0, ${classCount - 1}] of logits ${formatShape(logits.shape)}.`);
    }
  }

  // Keep each row's softmax for the backward pass.
  const logitData = logits.data;
  const probabilities = new Float32Array(logitData.length); // [N, C]
  let totalLoss = 0;
  for (let n = 0; n < batchSize; n++) {
    const row = n * classCount;
    let max = -Infinity;
    for (let c = 0; c < classCount; c++) max = Math.max(max, logitData[row + c]);
    let total = 0;
    for (let c = 0; c < classCount; c++) {
      const e = Math.exp(logitData[row + c] - max);
      probabilities[row + c] = e;
      total += e;
    }
    for (let c = 0; c < classCount; c++) probabilities[row + c] /= total;
    totalLoss += Math.log(total) + max - logitData[row + labels[n]];
  }

  const result: Tensor = new Tensor(Float32Array.of(totalLoss / batchSize), [], {
    op: 'softmaxCrossEntropy',
    parents: [logits],
    backwardFn: () => {
      // d/dlogits = (softmax − onehot(label)) / N, scaled by the upstream gradient.
      const factor = result.grad![0] / batchSize;
      const gradLogits = new Float32Array(probabilities.length);
      for (let n = 0; n < batchSize; n++) {
        const row = n * classCount;
        for (let c = 0; c < classCount; c++) gradLogits[row + c] = probabilities[row + c] * factor;
        gradLogits[row + labels[n]] -= factor;
      }
      logits.accumulateGrad(gradLogits);
    },
  });
  return result;
}
