import { linear } from '../ops/linear';
import type { Rng } from '../tensor/random';
import { formatShape, type Tensor } from '../tensor/tensor';
import { checkPositiveInteger, type Embedding } from './embedding';
import { xavierUniform, zeros } from './init';
import { Module } from './module';

export interface UnembeddingOptions {
  /** Seeded generator; needed unless the layer is tied. */
  rng?: Rng;
  /** Reuses this embedding's table [V, C] as the weight, so the two layers share one parameter. */
  tiedTo?: Embedding;
  /** Adds a learned bias `bias` [V]. Default false. */
  bias?: boolean;
}

/**
 * Maps vectors x [..., C] to logits [..., V] over the vocabulary:
 * x·weightᵀ (+ bias), with weight [V, C]. A tied layer registers no weight of
 * its own, because the embedding already owns the shared table, so a
 * checkpoint stores it once under the embedding's name.
 */
export class Unembedding extends Module {
  readonly width: number;
  readonly vocabularySize: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly tied: boolean;

  constructor(width: number, vocabularySize: number, options: UnembeddingOptions) {
    super();
    checkPositiveInteger('Unembedding', 'width', width);
    checkPositiveInteger('Unembedding', 'vocabularySize', vocabularySize);
    this.width = width;
    this.vocabularySize = vocabularySize;
    this.tied = options.tiedTo !== undefined;
    if (options.tiedTo !== undefined) {
      const table = options.tiedTo.weight;
      if (table.shape[0] !== vocabularySize || table.shape[1] !== width) {
        throw new Error(`Unembedding: the tied embedding table is ${formatShape(table.shape)} but this layer needs [${vocabularySize}, ${width}].`);
      }
      this.weight = table;
    } else {
      if (options.rng === undefined) throw new Error('Unembedding: an untied layer needs a seeded rng for its initialisation.');
      this.weight = this.registerParameter('weight', xavierUniform([vocabularySize, width], width, vocabularySize, options.rng));
    }
    this.bias = options.bias ? this.registerParameter('bias', zeros([vocabularySize])) : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias); // [..., C] -> [..., V]
  }
}
