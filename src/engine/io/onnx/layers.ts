/**
 * ONNX subgraphs of the engine's layers, shared by the node exporters: a layer
 * whose parameters sit under `prefix` (`attn.heads.0`, or '' for the node's own)
 * reads them as `<nodeId>.<prefix>.<name>`, the names the engine gives them.
 * `name` is the ONNX node name of the subgraph's last operator; helper operators
 * are named `<name>/<step>`.
 */

import { LayerNorm, RMSNorm } from '../../nn/norm';
import type { NodeExportContext } from './context';

/** Returns `prefix.local`, or `local` for the node's own parameters. */
function parameterName(prefix: string, local: string): string {
  return prefix === '' ? local : `${prefix}.${local}`;
}

/**
 * Adds y = x · Wᵀ + b for W [out, in] as the engine stores it: one Gemm with
 * transB for x [N, in], otherwise MatMul by the transposed weight then Add,
 * because Gemm takes only matrices.
 */
export function linearLayer(
  context: NodeExportContext,
  x: string,
  inputRank: number,
  prefix: string,
  shape: { inFeatures: number; outFeatures: number; bias: boolean },
  name: string,
  docString?: string,
): string {
  const { builder } = context;
  const weight = context.parameter(parameterName(prefix, 'weight'), [shape.outFeatures, shape.inFeatures]);
  const bias = shape.bias ? context.parameter(parameterName(prefix, 'bias'), [shape.outFeatures]) : undefined;

  if (inputRank === 2) {
    const inputs = bias === undefined ? [x, weight] : [x, weight, bias];
    return builder.op('Gemm', name, inputs, { transB: 1 }, docString); // [N, in] -> [N, out]
  }
  return matMulTransposed(context, x, weight, bias, name, docString);
}

/** Adds x · Wᵀ (+ b) for x [..., in] and W [out, in], the weight given by its value name. */
export function matMulTransposed(
  context: NodeExportContext,
  x: string,
  weight: string,
  bias: string | undefined,
  name: string,
  docString?: string,
): string {
  const { builder } = context;
  const transposed = builder.shared(`transpose:${weight}`, () => builder.op('Transpose', `${weight}/transpose`, [weight], { perm: [1, 0] })); // [out, in] -> [in, out]
  if (bias === undefined) return builder.op('MatMul', name, [x, transposed], {}, docString); // [..., in] -> [..., out]

  const product = builder.op('MatMul', `${name}/matmul`, [x, transposed]); // [..., in] -> [..., out]
  return builder.op('Add', name, [product, bias], {}, docString); // [..., out] + [out]
}

/** Adds LayerNormalization over the last axis with the engine's `weight` and `bias` [C]. */
export function layerNorm(context: NodeExportContext, x: string, prefix: string, width: number, eps: number, name: string, docString?: string): string {
  const scale = context.parameter(parameterName(prefix, 'weight'), [width]);
  const bias = context.parameter(parameterName(prefix, 'bias'), [width]);
  return context.builder.op('LayerNormalization', name, [x, scale, bias], { axis: -1, epsilon: { float: eps } }, docString);
}

/**
 * Adds x / √(mean(x²) + eps) · weight over the last axis. It is composed because
 * ONNX added RMSNormalization only in opset 23, and the composed form runs in every supported opset.
 */
export function rmsNorm(context: NodeExportContext, x: string, prefix: string, width: number, eps: number, name: string, docString?: string): string {
  const { builder } = context;
  const weight = context.parameter(parameterName(prefix, 'weight'), [width]);
  const squares = builder.op('Mul', `${name}/square`, [x, x]);
  const meanSquare = reduceMeanLastAxis(context, squares, `${name}/mean_square`); // [..., C] -> [..., 1]
  const epsilon = builder.floatConstant(`${name}/eps`, [], [eps]);
  const rms = builder.op('Sqrt', `${name}/rms`, [builder.op('Add', `${name}/add_eps`, [meanSquare, epsilon])]);
  const normalized = builder.op('Div', `${name}/normalize`, [x, rms]); // [..., C] / [..., 1]
  return builder.op('Mul', name, [normalized, weight], {}, docString); // [..., C] · [C]
}

/** Adds ReduceMean over the last axis with keepdims, which takes its axes as an attribute up to opset 17 and as an input from opset 18. */
function reduceMeanLastAxis(context: NodeExportContext, x: string, name: string): string {
  const { builder } = context;
  if (context.opset < 18) return builder.op('ReduceMean', name, [x], { axes: [-1], keepdims: 1 });
  const axes = builder.shared('axes:-1', () => builder.int64Constant('axes_last', [1], [-1]));
  return builder.op('ReduceMean', name, [x, axes], { keepdims: 1 });
}

/**
 * Adds GELU as the engine computes it: x·½(1 + erf(x/√2)) for 'none', or
 * x·½(1 + tanh(√(2/π)(x + 0.044715x³))) for 'tanh'. It is composed because the
 * Gelu operator arrived only in opset 20.
 */
export function gelu(context: NodeExportContext, x: string, approximate: 'none' | 'tanh', name: string, docString?: string): string {
  const { builder } = context;
  const half = builder.shared('const:0.5', () => builder.floatConstant('half', [], [0.5]));
  const one = builder.shared('const:1', () => builder.floatConstant('one', [], [1]));

  let inner: string;
  if (approximate === 'tanh') {
    const cubicCoefficient = builder.shared('const:gelu_cubic', () => builder.floatConstant('gelu_cubic', [], [0.044715]));
    const sqrtTwoOverPi = builder.shared('const:sqrt_2_over_pi', () => builder.floatConstant('sqrt_2_over_pi', [], [Math.sqrt(2 / Math.PI)]));
    const cube = builder.op('Mul', `${name}/cube`, [builder.op('Mul', `${name}/square`, [x, x]), x]);
    const cubic = builder.op('Add', `${name}/cubic`, [x, builder.op('Mul', `${name}/cubic_term`, [cube, cubicCoefficient])]);
    inner = builder.op('Tanh', `${name}/tanh`, [builder.op('Mul', `${name}/tanh_argument`, [cubic, sqrtTwoOverPi])]);
  } else {
    const inverseSqrtTwo = builder.shared('const:inv_sqrt_2', () => builder.floatConstant('inv_sqrt_2', [], [Math.SQRT1_2]));
    inner = builder.op('Erf', `${name}/erf`, [builder.op('Mul', `${name}/erf_argument`, [x, inverseSqrtTwo])]);
  }
  const cdf = builder.op('Mul', `${name}/cdf`, [builder.op('Add', `${name}/one_plus`, [one, inner]), half]);
  return builder.op('Mul', name, [x, cdf], {}, docString);
}

/** Returns the sequence length T of x [B, T, ...] as an int64 [1] value, computed once per input value. */
export function sequenceLength(context: NodeExportContext, x: string): string {
  const { builder } = context;
  return builder.shared(`sequence_length:${x}`, () => builder.op('Shape', `${x}/sequence_length`, [x], { start: 1, end: 2 }));
}

/**
 * Returns the additive causal mask [T, T] for the actual sequence length T: 0 at
 * key j ≤ query i and −Infinity above the diagonal, as the engine's causalMask
 * sets the scores. It is one initializer [maxLength, maxLength] sliced to [T, T].
 */
export function causalMask(context: NodeExportContext, length: string, maxLength: number): string {
  const { builder } = context;
  const table = builder.shared(`causal_mask:${maxLength}`, () => {
    const values = new Float32Array(maxLength * maxLength);
    for (let i = 0; i < maxLength; i++) values.fill(-Infinity, i * maxLength + i + 1, (i + 1) * maxLength);
    return builder.floatConstant('causal_mask', [maxLength, maxLength], values); // [L, L]
  });
  return builder.shared(`causal_mask:${maxLength}:${length}`, () => {
    const starts = builder.shared('const:starts_00', () => builder.int64Constant('starts_00', [2], [0, 0]));
    const axes = builder.shared('const:axes_01', () => builder.int64Constant('axes_01', [2], [0, 1]));
    const ends = builder.op('Concat', 'causal_mask/ends', [length, length], { axis: 0 });
    return builder.op('Slice', 'causal_mask/slice', [table, starts, ends, axes]); // [L, L] -> [T, T]
  });
}

/** Slices `table` [L, C] to its first T rows, T given as an int64 [1] value. */
export function firstRows(context: NodeExportContext, table: string, length: string, name: string): string {
  const { builder } = context;
  // The one constant [0] serves as both the start and the axis of the slice.
  const zero = builder.shared('const:zero_1', () => builder.int64Constant('zero_1', [1], [0]));
  return builder.op('Slice', name, [table, zero, length, zero]); // [L, C] -> [T, C]
}

export interface AttentionHeadShape {
  width: number;
  headSize: number;
  causal: boolean;
  /** Largest sequence length, the size of the causal mask table. */
  maxLength: number;
}

/**
 * Adds one head of scaled dot-product attention over x [B, T, C] with the
 * engine's `w_q`, `w_k`, `w_v` [H, C] and no bias: softmax(q·kᵀ/√H + mask)·v.
 */
export function attentionHead(context: NodeExportContext, x: string, prefix: string, shape: AttentionHeadShape, name: string, docString?: string): string {
  const { builder } = context;
  const projection = (local: string): string => {
    const weight = context.parameter(parameterName(prefix, local), [shape.headSize, shape.width]);
    return matMulTransposed(context, x, weight, undefined, `${name}/${local.slice(2)}`); // [B, T, C] -> [B, T, H]
  };
  const query = projection('w_q');
  const key = projection('w_k');
  const value = projection('w_v');

  const keyTransposed = builder.op('Transpose', `${name}/k_transpose`, [key], { perm: [0, 2, 1] }); // [B, T, H] -> [B, H, T]
  const scores = builder.op('MatMul', `${name}/scores`, [query, keyTransposed]); // [B, T, H]·[B, H, T] -> [B, T, T]
  const scaleValue = 1 / Math.sqrt(shape.headSize);
  const scaleConstant = builder.shared(`const:scale:${shape.headSize}`, () => builder.floatConstant(`scale_head_${shape.headSize}`, [], [scaleValue]));
  let scaled = builder.op('Mul', `${name}/scale`, [scores, scaleConstant]);
  if (shape.causal) {
    const mask = causalMask(context, sequenceLength(context, x), shape.maxLength);
    scaled = builder.op('Add', `${name}/mask`, [scaled, mask]); // [B, T, T] + [T, T]
  }
  const weights = builder.op('Softmax', `${name}/softmax`, [scaled], { axis: -1 }); // [B, T, T]
  return builder.op('MatMul', name, [weights, value], {}, docString); // [B, T, T]·[B, T, H] -> [B, T, H]
}

/**
 * Adds `headCount` heads (`heads.0` …) joined along the last axis and mixed by
 * the output projection `w_o` (weight [C, N·H] and bias [C]).
 */
export function multiHeadAttention(
  context: NodeExportContext,
  x: string,
  prefix: string,
  shape: { width: number; headCount: number; causal: boolean; maxLength: number },
  name: string,
  docString?: string,
): string {
  const headSize = shape.width / shape.headCount;
  const heads: string[] = [];
  for (let head = 0; head < shape.headCount; head++) {
    const headPrefix = parameterName(prefix, `heads.${head}`);
    const headShape = { width: shape.width, headSize, causal: shape.causal, maxLength: shape.maxLength };
    heads.push(attentionHead(context, x, headPrefix, headShape, `${name}/heads.${head}`));
  }
  const joined = heads.length === 1 ? heads[0] : context.builder.op('Concat', `${name}/concat`, heads, { axis: -1 }); // N × [B, T, H] -> [B, T, N·H]
  const projection = { inFeatures: shape.headCount * headSize, outFeatures: shape.width, bias: true };
  return linearLayer(context, joined, 3, parameterName(prefix, 'w_o'), projection, name, docString); // [B, T, N·H] -> [B, T, C]
}

/** Adds the engine's FeedForward: fc2(gelu(fc1(x))) with fc1 [hidden, C] and fc2 [C, hidden], both with bias. */
export function feedForward(
  context: NodeExportContext,
  x: string,
  prefix: string,
  shape: { width: number; hiddenWidth: number; approximate: 'none' | 'tanh' },
  name: string,
  docString?: string,
): string {
  const hidden = linearLayer(context, x, 3, parameterName(prefix, 'fc1'), { inFeatures: shape.width, outFeatures: shape.hiddenWidth, bias: true }, `${name}/fc1`); // [B, T, C] -> [B, T, hidden]
  const activated = gelu(context, hidden, shape.approximate, `${name}/gelu`);
  return linearLayer(context, activated, 3, parameterName(prefix, 'fc2'), { inFeatures: shape.hiddenWidth, outFeatures: shape.width, bias: true }, name, docString); // [B, T, hidden] -> [B, T, C]
}

/** Epsilon of the norms inside a TransformerBlock, which builds them with the engine's defaults. */
export function blockNormEps(kind: 'layer' | 'rms'): number {
  return kind === 'layer' ? new LayerNorm(1).eps : new RMSNorm(1).eps;
}
