/** The ONNX exporter of each node type, by registry type name. A type missing here cannot be exported. */

import type { NodeExporter } from './context';
import { elementwise, exportDense, exportInput, exportSoftmax } from './mlp';
import {
  exportAttentionHead,
  exportConcat,
  exportDropout,
  exportEmbedding,
  exportFeedForward,
  exportGelu,
  exportLayerNorm,
  exportMultiHeadAttention,
  exportPositionalEncoding,
  exportResidualAdd,
  exportRmsNorm,
  exportSoftmaxTemperature,
  exportTokenInput,
  exportTransformerBlock,
  exportUnembedding,
} from './transformer';

export const NODE_EXPORTERS: ReadonlyMap<string, NodeExporter> = new Map<string, NodeExporter>([
  ['Input', exportInput],
  ['Dense', exportDense],
  ['ReLU', elementwise('Relu')],
  ['Sigmoid', elementwise('Sigmoid')],
  ['Tanh', elementwise('Tanh')],
  ['Softmax', exportSoftmax],
  ['TokenInput', exportTokenInput],
  ['Embedding', exportEmbedding],
  ['PositionalEncoding', exportPositionalEncoding],
  ['AttentionHead', exportAttentionHead],
  ['MultiHeadAttention', exportMultiHeadAttention],
  ['Concat', exportConcat],
  ['TransformerBlock', exportTransformerBlock],
  ['LayerNorm', exportLayerNorm],
  ['RMSNorm', exportRmsNorm],
  ['ResidualAdd', exportResidualAdd],
  ['FeedForward', exportFeedForward],
  ['Dropout', exportDropout],
  ['Unembedding', exportUnembedding],
  ['GELU', exportGelu],
  ['SoftmaxTemperature', exportSoftmaxTemperature],
]);
