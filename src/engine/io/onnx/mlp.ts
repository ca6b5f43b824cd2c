/** ONNX exporters of the multilayer-perceptron node types: Input, Dense and the activations. */

import { INPUT_FEATURES_PORT } from '../../graph/nodes/input';
import { BATCH_DIM } from '../../graph/shapes';
import { fixedDim, type NodeExporter } from './context';
import { FLOAT32 } from './proto';

/** Features [batch, ...featureShape] as float32, flattened to [batch, features] as the engine's Input node does. */
export const exportInput: NodeExporter = (context) => {
  const { builder, nodeId, dataset } = context;
  const doc = `Features of each sample, [batch, ${dataset.featureShape.join(', ')}] float32.`;
  const features = context.graphInput(FLOAT32, [BATCH_DIM, ...dataset.featureShape], doc);
  if (dataset.featureShape.length === 1) return { [INPUT_FEATURES_PORT]: features };

  const flat = builder.op('Flatten', `${nodeId}/flatten`, [features], { axis: 1 }); // [B, ...] -> [B, F]
  return { [INPUT_FEATURES_PORT]: flat };
};

/** Gemm computes x · Wᵀ + b with W stored as the engine stores it, [units, inputs]. */
export const exportDense: NodeExporter = (context) => {
  const { builder, nodeId, params } = context;
  const units = params.units as number;
  const inFeatures = fixedDim(context, context.inputShapes.input, 1, 'input feature count');

  const inputs = [context.inputs.input, context.parameter('weight', [units, inFeatures])];
  if (params.bias === true) inputs.push(context.parameter('bias', [units]));
  const output = builder.op('Gemm', nodeId, inputs, { transB: 1 }, context.docString); // [B, in] -> [B, units]
  return { output };
};

/** Returns the exporter of an element-wise activation that maps to one ONNX operator. */
export function elementwise(opType: string): NodeExporter {
  return (context) => ({ output: context.builder.op(opType, context.nodeId, [context.inputs.input], {}, context.docString) });
}

export const exportSoftmax: NodeExporter = (context) => ({
  output: context.builder.op('Softmax', context.nodeId, [context.inputs.input], { axis: -1 }, context.docString),
});
