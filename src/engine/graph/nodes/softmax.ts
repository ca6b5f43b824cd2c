import { softmax } from '../../ops/softmax';
import type { NodeTypeSpec } from '../types';
import { activationNode } from './activation';

export const softmaxNode: NodeTypeSpec = {
  ...activationNode(
    'Softmax',
    'Turns each row of scores (logits) into probabilities that are positive and sum to 1, by exponentiating and ' +
      'normalising along the last axis. Use it at the end of a classifier to read off class probabilities. Feeding ' +
      'it into a cross-entropy Loss is fine: the loss then uses the scores that enter the Softmax, which is the ' +
      'numerically stable way, so the result matches wiring the last Dense layer straight into the Loss.',
    (input) => softmax(input, -1),
  ),
  logitsInput: 'input',
};
