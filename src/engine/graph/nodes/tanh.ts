import { tanh } from '../../ops/tanh';
import { activationNode } from './activation';

export const tanhNode = activationNode(
  'Tanh',
  'Hyperbolic tangent: squashes every value into the range -1 to 1, centred on 0. Its zero-centred output often ' +
    'trains small networks faster than Sigmoid, but like Sigmoid its gradient fades for large inputs. Pair it with ' +
    'Xavier initialisation in the Dense layer before it.',
  tanh,
);
