import { sequenceCrossEntropy } from '../ops/sequenceCrossEntropy';
import type { GeluApproximation } from '../ops/gelu';
import type { Rng } from '../tensor/random';
import { formatShape, noGrad, type Shape, type Tensor } from '../tensor/tensor';
import { TransformerBlock } from './block';
import { checkPositiveInteger, Embedding, tensorToIds } from './embedding';
import { Module } from './module';
import { ModuleList } from './moduleList';
import { LayerNorm, RMSNorm } from './norm';
import { PositionalEncoding, type PositionalEncodingKind } from './positional';
import { Unembedding } from './unembedding';

export interface TransformerLanguageModelConfig {
  vocabularySize: number;
  /** Maximum number of tokens the model reads at once, and the number of learned positions. */
  contextLength: number;
  modelWidth: number;
  headCount: number;
  layerCount: number;
  /** Default 4 × modelWidth. */
  feedForwardWidth?: number;
  /** Default 'learned'. */
  positional?: PositionalEncodingKind;
  /** Shares the token embedding table with the output layer. Default true. */
  tieWeights?: boolean;
  norm?: 'layer' | 'rms';
  approximate?: GeluApproximation;
  dropout?: number;
  rng: Rng;
}

/** Logits [B, T, V] and, per block, each head's attention weights [B, T, T]. */
export interface LanguageModelOutput {
  logits: Tensor;
  attention: Tensor[][];
}

/**
 * A GPT-style decoder: token embedding plus position encoding, `layerCount`
 * causal pre-norm blocks, a final norm, and an output layer giving logits
 * over the vocabulary. Parameters are named `token_embedding.weight`,
 * `position.weight` (learned positions only), `blocks.0.attn.heads.0.w_q`,
 * `ln_f.weight` and `lm_head.weight` (untied only).
 */
export class TransformerLanguageModel extends Module {
  readonly config: Readonly<TransformerLanguageModelConfig>;
  readonly tokenEmbedding: Embedding;
  readonly position: PositionalEncoding;
  readonly blocks: ModuleList<TransformerBlock>;
  readonly lnF: LayerNorm | RMSNorm;
  readonly lmHead: Unembedding;

  constructor(config: TransformerLanguageModelConfig) {
    super();
    for (const field of ['vocabularySize', 'contextLength', 'modelWidth', 'headCount', 'layerCount'] as const) {
      checkPositiveInteger('TransformerLanguageModel', field, config[field]);
    }
    this.config = { ...config };
    const { rng, modelWidth } = config;
    this.tokenEmbedding = this.registerModule('token_embedding', new Embedding(config.vocabularySize, modelWidth, { rng, std: 0.02 }));
    this.position = this.registerModule('position', new PositionalEncoding(config.contextLength, modelWidth, { kind: config.positional ?? 'learned', rng }));
    const blocks: TransformerBlock[] = [];
    for (let layer = 0; layer < config.layerCount; layer++) {
      blocks.push(
        new TransformerBlock(modelWidth, config.headCount, {
          rng,
          feedForwardWidth: config.feedForwardWidth,
          norm: config.norm,
          approximate: config.approximate,
          dropout: config.dropout,
        }),
      );
    }
    this.blocks = this.registerModule('blocks', new ModuleList(blocks));
    this.lnF = this.registerModule('ln_f', config.norm === 'rms' ? new RMSNorm(modelWidth) : new LayerNorm(modelWidth));
    const tied = config.tieWeights ?? true;
    this.lmHead = this.registerModule('lm_head', new Unembedding(modelWidth, config.vocabularySize, tied ? { tiedTo: this.tokenEmbedding } : { rng }));
  }

  /** Returns logits [B, T, V] for token ids of shape [B, T] (T at most the context length) and the attention weights. */
  run(ids: Int32Array, idsShape: Shape): LanguageModelOutput {
    if (idsShape.length !== 2) throw new Error(`TransformerLanguageModel: ids must be [B, T], got shape ${formatShape(idsShape)}.`);
    let x = this.position.forward(this.tokenEmbedding.lookup(ids, idsShape)); // [B, T, C]
    const attention: Tensor[][] = [];
    for (const block of this.blocks.items) {
      const result = block.attend(x);
      x = result.output; // [B, T, C]
      attention.push(result.weights);
    }
    return { logits: this.lmHead.forward(this.lnF.forward(x)), attention }; // [B, T, V]
  }

  /** Maps integer-valued ids [B, T] to logits [B, T, V]. */
  forward(ids: Tensor): Tensor {
    return this.run(tensorToIds('TransformerLanguageModel', ids), ids.shape).logits;
  }

  /** Returns the mean next-token cross-entropy of windows `inputs` [B, T] against `targets` [B, T], in nats per token. */
  loss(inputs: Int32Array, targets: Int32Array, idsShape: Shape): Tensor {
    return sequenceCrossEntropy(this.run(inputs, idsShape).logits, targets);
  }

  /** Returns the logits [V] for the token after `context`, reading at most the last contextLength tokens, without recording gradients. */
  nextTokenLogits(context: Int32Array): Float32Array {
    if (context.length === 0) throw new Error('TransformerLanguageModel: the context is empty; give at least one token to continue from.');
    const window = context.subarray(Math.max(0, context.length - this.config.contextLength));
    const logits = noGrad(() => this.run(window, [1, window.length]).logits); // [1, T, V]
    const vocabularySize = this.config.vocabularySize;
    return logits.data.slice((window.length - 1) * vocabularySize, window.length * vocabularySize);
  }
}
