import { formatShape, shapesEqual, Tensor } from '../tensor/tensor';
import { checkTensor } from './validate';

/** Returns the mean of (prediction − target)² over all elements, as a scalar of shape []. */
export function mseLoss(prediction: Tensor, target: Tensor): Tensor {
  checkTensor('mseLoss', 'prediction', prediction);
  checkTensor('mseLoss', 'target', target);
  if (!shapesEqual(prediction.shape, target.shape)) {
    throw new Error(
      `mseLoss: prediction is ${formatShape(prediction.shape)} and target is ${formatShape(target.shape)}; the shapes must match exactly (no broadcasting).`,
    );
  }
  const count = prediction.numel;
  if (count === 0) throw new Error(`mseLoss: prediction is empty (shape ${formatShape(prediction.shape)}), so the mean is undefined.`);

  const predictionData = prediction.data;
  const targetData = target.data;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const difference = predictionData[i] - targetData[i];
    total += difference * difference;
  }

  const result: Tensor = new Tensor(Float32Array.of(total / count), [], {
    op: 'mseLoss',
    parents: [prediction, target],
    backwardFn: () => {
      // d/dp = 2 (p − t) / count, and d/dt is its negative.
      const factor = (2 * result.grad![0]) / count;
      const gradPrediction = new Float32Array(count);
      for (let i = 0; i < count; i++) gradPrediction[i] = factor * (predictionData[i] - targetData[i]);
      if (prediction.requiresGrad) prediction.accumulateGrad(gradPrediction);
      if (target.requiresGrad) {
        const gradTarget = new Float32Array(count);
        for (let i = 0; i < count; i++) gradTarget[i] = -gradPrediction[i];
        target.accumulateGrad(gradTarget);
      }
    },
  });
  return result;
}
