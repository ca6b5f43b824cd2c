import { relu } from '../../ops/relu';
import { activationNode } from './activation';

export const reluNode = activationNode(
  'ReLU',
  'Rectified linear unit: passes positive values through unchanged and turns negative values into 0, element by ' +
    'element. This bend is what lets a stack of layers learn curved decision boundaries. It is the usual choice ' +
    'between Dense layers because it is cheap and its gradient does not shrink for positive inputs.',
  relu,
);
