import { add } from '../ops/add';
import type { GeluApproximation } from '../ops/gelu';
import type { Rng } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';
import { MultiHeadAttention, type AttentionResult } from './attention';
import { Dropout } from './dropout';
import { FeedForward } from './feedforward';
import { Module } from './module';
import { LayerNorm, RMSNorm } from './norm';

export interface TransformerBlockOptions {
  rng: Rng;
  /** Width of the feed-forward layer. Default 4 × modelWidth. */
  feedForwardWidth?: number;
  /** Default true. */
  causal?: boolean;
  approximate?: GeluApproximation;
  /** 'layer' for LayerNorm (default) or 'rms' for RMSNorm. */
  norm?: 'layer' | 'rms';
  eps?: number;
  /** Dropout probability on the attention and feed-forward outputs before each residual add. Default 0. */
  dropout?: number;
}

/**
 * A pre-norm transformer block: x + attn(ln1(x)), then x + ff(ln2(x)).
 * Parameters are named `ln1.weight`, `attn.heads.0.w_q`, `attn.w_o.weight`,
 * `ln2.bias`, `ff.fc1.weight` and so on.
 */
export class TransformerBlock extends Module {
  readonly ln1: LayerNorm | RMSNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm | RMSNorm;
  readonly ff: FeedForward;
  private readonly residualDropout: Dropout;

  constructor(modelWidth: number, headCount: number, options: TransformerBlockOptions) {
    super();
    const norm = options.norm ?? 'layer';
    if (norm !== 'layer' && norm !== 'rms') throw new Error(`TransformerBlock: norm must be "layer" or "rms", got "${String(norm)}".`);
    const makeNorm = () => (norm === 'layer' ? new LayerNorm(modelWidth, { eps: options.eps }) : new RMSNorm(modelWidth, { eps: options.eps }));
    this.ln1 = this.registerModule('ln1', makeNorm());
    this.attn = this.registerModule('attn', new MultiHeadAttention(modelWidth, headCount, { rng: options.rng, causal: options.causal }));
    this.ln2 = this.registerModule('ln2', makeNorm());
    const feedForwardWidth = options.feedForwardWidth ?? 4 * modelWidth;
    this.ff = this.registerModule('ff', new FeedForward(modelWidth, feedForwardWidth, { rng: options.rng, approximate: options.approximate }));
    this.residualDropout = this.registerModule('dropout', new Dropout(options.dropout ?? 0, options.rng.fork()));
  }

  /** Returns the block output [..., T, C] and the attention weights of each head. */
  attend(x: Tensor): AttentionResult {
    const attended = this.attn.attend(this.ln1.forward(x));
    const hidden = add(x, this.residualDropout.forward(attended.output)); // [..., T, C]
    const output = add(hidden, this.residualDropout.forward(this.ff.forward(this.ln2.forward(hidden)))); // [..., T, C]
    return { output, weights: attended.weights };
  }

  forward(x: Tensor): Tensor {
    return this.attend(x).output;
  }
}
