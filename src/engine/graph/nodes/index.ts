/** The built-in node types, in palette order. */

import { NodeRegistry } from '../registry';
import { attentionHeadNode } from './attentionHead';
import { concatNode } from './concat';
import { denseNode } from './dense';
import { deviceMeshNode } from './deviceMesh';
import { dropoutNode } from './dropout';
import { embeddingNode } from './embedding';
import { feedForwardNode } from './feedForward';
import { geluNode } from './gelu';
import { inputNode } from './input';
import { lossNode } from './loss';
import { multiHeadAttentionNode } from './multiHeadAttention';
import { layerNormNode, rmsNormNode } from './norm';
import { positionalEncodingNode } from './positionalEncoding';
import { reluNode } from './relu';
import { residualAddNode } from './residualAdd';
import { sigmoidNode } from './sigmoid';
import { softmaxNode } from './softmax';
import { softmaxTemperatureNode } from './softmaxTemperature';
import { tanhNode } from './tanh';
import { tensorParallelGroupNode } from './tensorParallelGroup';
import { tokenInputNode } from './tokenInput';
import { transformerBlockNode } from './transformerBlock';
import { unembeddingNode } from './unembedding';

export function createDefaultRegistry(): NodeRegistry {
  const registry = new NodeRegistry();
  const specs = [
    inputNode,
    tokenInputNode,
    denseNode,
    embeddingNode,
    positionalEncodingNode,
    attentionHeadNode,
    multiHeadAttentionNode,
    concatNode,
    transformerBlockNode,
    layerNormNode,
    rmsNormNode,
    residualAddNode,
    feedForwardNode,
    dropoutNode,
    unembeddingNode,
    reluNode,
    sigmoidNode,
    tanhNode,
    geluNode,
    softmaxNode,
    softmaxTemperatureNode,
    lossNode,
    deviceMeshNode,
    tensorParallelGroupNode,
  ];
  for (const spec of specs) registry.register(spec);
  return registry;
}

export const defaultRegistry = createDefaultRegistry();
