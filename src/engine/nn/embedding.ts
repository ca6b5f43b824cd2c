import { embedding } from '../ops/embedding';
import type { Rng } from '../tensor/random';
import { formatShape, shapeElementCount, Tensor, type Shape } from '../tensor/tensor';
import { Module } from './module';

export interface EmbeddingOptions {
  /** Seeded generator for the table's initialisation. */
  rng: Rng;
  /** Standard deviation of the normal initialisation. Default 1, as torch.nn.Embedding; GPT-2 uses 0.02. */
  std?: number;
}

/** A learned table of `vocabularySize` vectors of `width` values, looked up by token id; its parameter is `weight` [V, C]. */
export class Embedding extends Module {
  readonly vocabularySize: number;
  readonly width: number;
  readonly weight: Tensor;

  constructor(vocabularySize: number, width: number, options: EmbeddingOptions) {
    super();
    checkPositiveInteger('Embedding', 'vocabularySize', vocabularySize);
    checkPositiveInteger('Embedding', 'width', width);
    this.vocabularySize = vocabularySize;
    this.width = width;
    this.weight = this.registerParameter('weight', normalTensor([vocabularySize, width], options.std ?? 1, options.rng));
  }

  /** Maps ids of shape `idsShape` to vectors [...idsShape, C]. */
  lookup(ids: Int32Array, idsShape: Shape): Tensor {
    return embedding(this.weight, ids, idsShape);
  }

  /** Maps a tensor of integer-valued ids [...] (such as a batch of token windows [B, T]) to vectors [..., C]. */
  forward(ids: Tensor): Tensor {
    return this.lookup(tensorToIds('Embedding', ids), ids.shape);
  }
}

/** Returns the values of `ids` as an Int32Array, rejecting any value that is not an integer. */
export function tensorToIds(module: string, ids: Tensor): Int32Array {
  const values = new Int32Array(ids.numel);
  for (let i = 0; i < values.length; i++) {
    const value = ids.data[i];
    if (!Number.isInteger(value)) {
      throw new Error(`${module}: token ids must be integers, but element ${i} of the input ${formatShape(ids.shape)} is ${value}.`);
    }
    values[i] = value;
  }
  return values;
}

/** Returns a leaf tensor drawn from N(0, std²) that requires gradients. */
export function normalTensor(shape: Shape, std: number, rng: Rng): Tensor {
  if (!Number.isFinite(std) || std < 0) throw new Error(`Invalid initialisation std ${std}: use a finite non-negative number.`);
  const data = new Float32Array(shapeElementCount(shape));
  for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
  return new Tensor(data, shape, { requiresGrad: true });
}

export function checkPositiveInteger(module: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${module}: ${name} must be a positive integer, got ${value}.`);
}
