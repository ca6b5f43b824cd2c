import { sigmoid } from '../../ops/sigmoid';
import { activationNode } from './activation';

export const sigmoidNode = activationNode(
  'Sigmoid',
  'Squashes every value into the range 0 to 1 with 1 / (1 + e^(-x)). It was the classic activation of early ' +
    'networks and reads like a probability, but for large positive or negative inputs its gradient is almost zero, ' +
    'so deep stacks of Sigmoid layers learn slowly. Prefer ReLU between layers.',
  sigmoid,
);
