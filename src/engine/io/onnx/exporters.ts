/** The ONNX exporter of each node type, by registry type name. A type missing here cannot be exported. */

import type { NodeExporter } from './context';
import { elementwise, exportDense, exportInput, exportSoftmax } from './mlp';

export const NODE_EXPORTERS: ReadonlyMap<string, NodeExporter> = new Map<string, NodeExporter>([
  ['Input', exportInput],
  ['Dense', exportDense],
  ['ReLU', elementwise('Relu')],
  ['Sigmoid', elementwise('Sigmoid')],
  ['Tanh', elementwise('Tanh')],
  ['Softmax', exportSoftmax],
]);
