/** The built-in node types, in palette order. */

import { NodeRegistry } from '../registry';
import { inputNode } from './input';
import { denseNode } from './dense';
import { reluNode } from './relu';
import { sigmoidNode } from './sigmoid';
import { tanhNode } from './tanh';
import { softmaxNode } from './softmax';
import { lossNode } from './loss';

export function createDefaultRegistry(): NodeRegistry {
  const registry = new NodeRegistry();
  for (const spec of [inputNode, denseNode, reluNode, sigmoidNode, tanhNode, softmaxNode, lossNode]) {
    registry.register(spec);
  }
  return registry;
}

export const defaultRegistry = createDefaultRegistry();
