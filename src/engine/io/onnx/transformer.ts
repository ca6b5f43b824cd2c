/** ONNX exporters of the language-model node types, from the Token input to the Unembedding. */

import { CONCAT_MAX_INPUTS } from '../../graph/nodes/concat';
import { TOKEN_INPUT_TOKENS_PORT } from '../../graph/nodes/tokenInput';
import { BATCH_DIM } from '../../graph/shapes';
import { PositionalEncoding } from '../../nn/positional';
import { exportError, fixedDim, type NodeExportContext, type NodeExporter } from './context';
import { attentionHead, blockNormEps, feedForward, firstRows, gelu, layerNorm, matMulTransposed, multiHeadAttention, rmsNorm, sequenceLength } from './layers';
import { INT64 } from './proto';

/** Name of the free sequence dimension of the token ids and the logits. */
export const ONNX_SEQUENCE_DIM = 'sequence';

/** Token ids [batch, sequence] as int64, with sequence at most the context length. */
export const exportTokenInput: NodeExporter = (context) => {
  const contextLength = context.params.contextLength as number;
  const doc = `Token ids [batch, sequence] int64, with sequence from 1 to the context length ${contextLength}.`;
  const tokens = context.graphInput(INT64, [BATCH_DIM, ONNX_SEQUENCE_DIM], doc);
  context.declareSequenceLength(contextLength);
  return { [TOKEN_INPUT_TOKENS_PORT]: tokens };
};

/** Gather looks up one row of the table [vocabulary, width] per token id. */
export const exportEmbedding: NodeExporter = (context) => {
  const vocabularySize = vocabularyOf(context);
  const table = context.parameter('weight', [vocabularySize, context.params.width as number]);
  return { output: context.builder.op('Gather', context.nodeId, [table, context.inputs.input], { axis: 0 }, context.docString) }; // [B, T] -> [B, T, C]
};

/** Adds the first T rows of the learned or sinusoidal table [context length, width] to x [B, T, C]. */
export const exportPositionalEncoding: NodeExporter = (context) => {
  const { builder, nodeId } = context;
  const x = context.inputs.input;
  const maxLength = fixedDim(context, context.inputShapes.input, 1, 'sequence length');
  const width = fixedDim(context, context.inputShapes.input, 2, 'model width');

  // The sinusoidal table is built by the engine's own layer, so both use the same sines and cosines.
  const table =
    context.params.kind === 'sinusoidal'
      ? builder.floatConstant(`${nodeId}/sinusoidal_table`, [maxLength, width], new PositionalEncoding(maxLength, width, { kind: 'sinusoidal' }).table.data)
      : context.parameter('weight', [maxLength, width]);
  const rows = firstRows(context, table, sequenceLength(context, x), `${nodeId}/slice`); // [L, C] -> [T, C]
  return { output: builder.op('Add', nodeId, [x, rows], {}, context.docString) }; // [B, T, C] + [T, C]
};

export const exportAttentionHead: NodeExporter = (context) => {
  const shape = {
    width: fixedDim(context, context.inputShapes.input, 2, 'model width'),
    headSize: context.params.headSize as number,
    causal: context.params.causal === true,
    maxLength: fixedDim(context, context.inputShapes.input, 1, 'sequence length'),
  };
  return { output: attentionHead(context, context.inputs.input, '', shape, context.nodeId, context.docString) };
};

export const exportMultiHeadAttention: NodeExporter = (context) => ({
  output: multiHeadAttention(context, context.inputs.input, '', attentionShape(context), context.nodeId, context.docString),
});

/** Joins the connected inputs along the last axis in port order, as the engine does. */
export const exportConcat: NodeExporter = (context) => {
  const parts: string[] = [];
  for (let index = 1; index <= CONCAT_MAX_INPUTS; index++) {
    const value = context.inputs[`input${index}`];
    if (value !== undefined) parts.push(value);
  }
  return { output: context.builder.op('Concat', context.nodeId, parts, { axis: -1 }, context.docString) }; // N × [..., Cᵢ] -> [..., ΣCᵢ]
};

export const exportLayerNorm: NodeExporter = (context) => {
  const width = fixedDim(context, context.inputShapes.input, -1, 'normalised width');
  return { output: layerNorm(context, context.inputs.input, '', width, context.params.eps as number, context.nodeId, context.docString) };
};

export const exportRmsNorm: NodeExporter = (context) => {
  const width = fixedDim(context, context.inputShapes.input, -1, 'normalised width');
  return { output: rmsNorm(context, context.inputs.input, '', width, context.params.eps as number, context.nodeId, context.docString) };
};

export const exportResidualAdd: NodeExporter = (context) => ({
  output: context.builder.op('Add', context.nodeId, [context.inputs.a, context.inputs.b], {}, context.docString),
});

export const exportFeedForward: NodeExporter = (context) => {
  const shape = {
    width: fixedDim(context, context.inputShapes.input, 2, 'model width'),
    hiddenWidth: context.params.hiddenWidth as number,
    approximate: context.params.approximate === 'tanh' ? ('tanh' as const) : ('none' as const),
  };
  return { output: feedForward(context, context.inputs.input, '', shape, context.nodeId, context.docString) };
};

/** The GELU node uses the exact (erf) form. */
export const exportGelu: NodeExporter = (context) => ({
  output: gelu(context, context.inputs.input, 'none', context.nodeId, context.docString),
});

/** Dropout passes values through unchanged outside training, so inference needs only an Identity. */
export const exportDropout: NodeExporter = (context) => ({
  output: context.builder.op('Identity', context.nodeId, [context.inputs.input], {}, context.docString),
});

/** Scores each position against the vocabulary with W_U [vocabulary, width], or with the tied Embedding's table. */
export const exportUnembedding: NodeExporter = (context) => {
  const vocabularySize = vocabularyOf(context);
  const width = fixedDim(context, context.inputShapes.input, 2, 'model width');
  const tieTo = context.params.tieTo as string;
  const weight = tieTo === '' ? context.parameter('weight', [vocabularySize, width]) : context.parameterOf(tieTo, 'weight', [vocabularySize, width]);
  const bias = context.params.bias === true ? context.parameter('bias', [vocabularySize]) : undefined;
  return { output: matMulTransposed(context, context.inputs.input, weight, bias, context.nodeId, context.docString) }; // [B, T, C] -> [B, T, V]
};

/** softmax(x · (1 / temperature)), multiplying by the reciprocal as the engine does. */
export const exportSoftmaxTemperature: NodeExporter = (context) => {
  const { builder, nodeId } = context;
  const inverseTemperature = builder.floatConstant(`${nodeId}/inverse_temperature`, [], [1 / (context.params.temperature as number)]);
  const scaled = builder.op('Mul', `${nodeId}/temperature`, [context.inputs.input, inverseTemperature]);
  return { output: builder.op('Softmax', nodeId, [scaled], { axis: -1 }, context.docString) };
};

/** Exports a pre-norm block, x + attn(ln1(x)) then x + ff(ln2(x)). Its dropout is inactive at inference, so it is left out. */
export const exportTransformerBlock: NodeExporter = (context) => {
  const { builder, nodeId } = context;
  const x = context.inputs.input;
  const shape = attentionShape(context);
  const normKind = context.params.norm === 'rms' ? 'rms' : 'layer';
  const eps = blockNormEps(normKind);
  const norm = (input: string, prefix: string): string =>
    normKind === 'rms'
      ? rmsNorm(context, input, prefix, shape.width, eps, `${nodeId}/${prefix}`)
      : layerNorm(context, input, prefix, shape.width, eps, `${nodeId}/${prefix}`);

  const attended = multiHeadAttention(context, norm(x, 'ln1'), 'attn', shape, `${nodeId}/attn`);
  const hidden = builder.op('Add', `${nodeId}/residual1`, [x, attended]); // [B, T, C]
  const feedForwardShape = {
    width: shape.width,
    hiddenWidth: context.params.hiddenWidth as number,
    approximate: context.params.approximate === 'tanh' ? ('tanh' as const) : ('none' as const),
  };
  const transformed = feedForward(context, norm(hidden, 'ln2'), 'ff', feedForwardShape, `${nodeId}/ff`);
  return { output: builder.op('Add', nodeId, [hidden, transformed], {}, context.docString) }; // [B, T, C]
};

function attentionShape(context: NodeExportContext): { width: number; headCount: number; causal: boolean; maxLength: number } {
  return {
    width: fixedDim(context, context.inputShapes.input, 2, 'model width'),
    headCount: context.params.heads as number,
    causal: context.params.causal === true,
    maxLength: fixedDim(context, context.inputShapes.input, 1, 'sequence length'),
  };
}

function vocabularyOf(context: NodeExportContext): number {
  const vocabularySize = context.dataset.vocabularySize;
  if (vocabularySize === undefined) {
    exportError(context, 'the vocabulary size of the text dataset is unknown. Pass options.dataset with vocabularySize, or weights that contain an Embedding table.');
  }
  return vocabularySize;
}
