/** Every differentiable op of the engine. */

export { add } from './add';
export { sub } from './sub';
export { mul } from './mul';
export { div } from './div';
export { scale } from './scale';
export { sum } from './sum';
export { mean } from './mean';
export { reshape } from './reshape';
export { matmul } from './matmul';
export { linear } from './linear';
export { relu } from './relu';
export { sigmoid } from './sigmoid';
export { tanh } from './tanh';
export { softmax } from './softmax';
export { logSoftmax } from './logsoftmax';
export { mseLoss } from './mse';
export { softmaxCrossEntropy } from './crossentropy';
