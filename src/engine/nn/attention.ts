import { bmm } from '../ops/bmm';
import { causalMask } from '../ops/causalmask';
import { concat } from '../ops/concat';
import { linear } from '../ops/linear';
import { scale } from '../ops/scale';
import { softmax } from '../ops/softmax';
import { transpose } from '../ops/transpose';
import { xavierUniform } from './init';
import type { Rng } from '../tensor/random';
import { formatShape, type Tensor } from '../tensor/tensor';
import { checkPositiveInteger } from './embedding';
import { Linear } from './linear';
import { Module } from './module';
import { ModuleList } from './moduleList';

export interface AttentionOptions {
  /** Seeded generator for the weight initialisation. */
  rng: Rng;
  /** Hides later positions from earlier ones, as a language model needs. Default true. */
  causal?: boolean;
}

/** The output of attention and the weights [..., T, T] it used (query i over key j), one tensor per head. */
export interface AttentionResult {
  output: Tensor;
  weights: Tensor[];
}

/**
 * One head of scaled dot-product attention over x [..., T, C]. Its
 * parameters `w_q`, `w_k` and `w_v` are [headSize, C] in PyTorch's Linear
 * layout (no bias): q = x·W_Qᵀ, k = x·W_Kᵀ, v = x·W_Vᵀ, and the output is
 * softmax(q·kᵀ / √headSize)·v [..., T, headSize].
 */
export class AttentionHead extends Module {
  readonly modelWidth: number;
  readonly headSize: number;
  readonly causal: boolean;
  readonly w_q: Tensor;
  readonly w_k: Tensor;
  readonly w_v: Tensor;

  constructor(modelWidth: number, headSize: number, options: AttentionOptions) {
    super();
    checkPositiveInteger('AttentionHead', 'modelWidth', modelWidth);
    checkPositiveInteger('AttentionHead', 'headSize', headSize);
    this.modelWidth = modelWidth;
    this.headSize = headSize;
    this.causal = options.causal ?? true;
    // Xavier uniform over each [headSize, C] matrix, with fan-in C and fan-out headSize.
    this.w_q = this.registerParameter('w_q', xavierUniform([headSize, modelWidth], modelWidth, headSize, options.rng));
    this.w_k = this.registerParameter('w_k', xavierUniform([headSize, modelWidth], modelWidth, headSize, options.rng));
    this.w_v = this.registerParameter('w_v', xavierUniform([headSize, modelWidth], modelWidth, headSize, options.rng));
  }

  /** Returns the head's output [..., T, headSize] and its attention weights [..., T, T]. */
  attend(x: Tensor): AttentionResult {
    checkSequenceInput('AttentionHead', x, this.modelWidth);
    const q = linear(x, this.w_q); // [..., T, H]
    const k = linear(x, this.w_k); // [..., T, H]
    const v = linear(x, this.w_v); // [..., T, H]
    const scores = scale(bmm(q, transpose(k, -2, -1)), 1 / Math.sqrt(this.headSize)); // [..., T, H]·[..., H, T] -> [..., T, T]
    const weights = softmax(this.causal ? causalMask(scores) : scores, -1); // [..., T, T]
    return { output: bmm(weights, v), weights: [weights] }; // [..., T, T]·[..., T, H] -> [..., T, H]
  }

  forward(x: Tensor): Tensor {
    return this.attend(x).output;
  }
}

export interface MultiHeadAttentionOptions extends AttentionOptions {
  /** Width of each head. Default modelWidth / headCount, which must then divide evenly. */
  headSize?: number;
}

/**
 * `headCount` attention heads side by side over x [..., T, C]: their outputs
 * are joined along the last axis and mixed by the output projection `w_o`
 * (a Linear with bias, [C, headCount·headSize]). Parameters are named
 * `heads.0.w_q` … and `w_o.weight`, `w_o.bias`.
 */
export class MultiHeadAttention extends Module {
  readonly modelWidth: number;
  readonly headCount: number;
  readonly headSize: number;
  readonly heads: ModuleList<AttentionHead>;
  readonly w_o: Linear;

  constructor(modelWidth: number, headCount: number, options: MultiHeadAttentionOptions) {
    super();
    checkPositiveInteger('MultiHeadAttention', 'modelWidth', modelWidth);
    checkPositiveInteger('MultiHeadAttention', 'headCount', headCount);
    if (options.headSize === undefined && modelWidth % headCount !== 0) {
      throw new Error(`MultiHeadAttention: modelWidth ${modelWidth} is not divisible by headCount ${headCount}; choose a head count that divides it or set headSize.`);
    }
    const headSize = options.headSize ?? modelWidth / headCount;
    this.modelWidth = modelWidth;
    this.headCount = headCount;
    this.headSize = headSize;
    const heads: AttentionHead[] = [];
    for (let h = 0; h < headCount; h++) heads.push(new AttentionHead(modelWidth, headSize, options));
    this.heads = this.registerModule('heads', new ModuleList(heads));
    this.w_o = this.registerModule('w_o', new Linear(headCount * headSize, modelWidth, { rng: options.rng, init: 'xavierUniform' }));
  }

  /** Returns the output [..., T, C] and each head's attention weights [..., T, T]. */
  attend(x: Tensor): AttentionResult {
    checkSequenceInput('MultiHeadAttention', x, this.modelWidth);
    const results = this.heads.items.map((head) => head.attend(x));
    const joined = concat(results.map((result) => result.output), -1); // N × [..., T, H] -> [..., T, N·H]
    return { output: this.w_o.forward(joined), weights: results.map((result) => result.weights[0]) };
  }

  forward(x: Tensor): Tensor {
    return this.attend(x).output;
  }
}

function checkSequenceInput(module: string, x: Tensor, modelWidth: number): void {
  if (x.rank < 2 || x.shape[x.rank - 1] !== modelWidth) {
    throw new Error(`${module}: input must be [..., T, ${modelWidth}] (a sequence of model-width vectors), got ${formatShape(x.shape)}.`);
  }
}
