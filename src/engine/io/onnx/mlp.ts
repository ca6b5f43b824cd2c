/** ONNX exporters of the multilayer-perceptron node types: Input, Dense and the activations. */

import { INPUT_FEATURES_PORT } from '../../graph/nodes/input';
import { BATCH_DIM } from '../../graph/shapes';
import { fixedDim, type NodeExporter } from './context';
import { linearLayer } from './layers';
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

/** x · Wᵀ + b with W as the engine stores it, [units, inputs]: a Gemm for [B, in], MatMul and Add for [B, T, in]. */
export const exportDense: NodeExporter = (context) => {
  const inputShape = context.inputShapes.input;
  const shape = {
    inFeatures: fixedDim(context, inputShape, -1, 'input feature count'),
    outFeatures: context.params.units as number,
    bias: context.params.bias === true,
  };
  return { output: linearLayer(context, context.inputs.input, inputShape.length, '', shape, context.nodeId, context.docString) };
};

/** Returns the exporter of an element-wise activation that maps to one ONNX operator. */
export function elementwise(opType: string): NodeExporter {
  return (context) => ({ output: context.builder.op(opType, context.nodeId, [context.inputs.input], {}, context.docString) });
}

export const exportSoftmax: NodeExporter = (context) => ({
  output: context.builder.op('Softmax', context.nodeId, [context.inputs.input], { axis: -1 }, context.docString),
});
