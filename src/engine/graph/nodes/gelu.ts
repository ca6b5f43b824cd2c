import { gelu } from '../../ops/gelu';
import { activationNode } from './activation';

export const geluNode = activationNode(
  'GELU',
  'Gaussian error linear unit: multiplies each value by the probability that a standard normal variable is below it, ' +
    'x·Φ(x). It behaves like ReLU for large inputs but bends smoothly around 0 and lets small negative values through. ' +
    'Transformers (GPT, BERT) use it inside their feed-forward layers.',
  (input) => gelu(input),
);
