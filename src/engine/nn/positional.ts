import { add } from '../ops/add';
import { embedding } from '../ops/embedding';
import type { Rng } from '../tensor/random';
import { formatShape, Tensor } from '../tensor/tensor';
import { checkPositiveInteger, normalTensor } from './embedding';
import { Module } from './module';

/** 'sinusoidal' adds fixed sines and cosines; 'learned' adds a trained vector per position. */
export type PositionalEncodingKind = 'sinusoidal' | 'learned';

export interface PositionalEncodingOptions {
  kind: PositionalEncodingKind;
  /** Seeded generator for the learned table; unused by the sinusoidal kind. */
  rng?: Rng;
  /** Standard deviation of the learned table's normal initialisation. Default 0.02, as GPT-2. */
  std?: number;
}

/**
 * Adds a position signal to token vectors x [..., T, C] for positions
 * 0..T−1, with T at most `maxLength`. The learned kind has one parameter,
 * `weight` [maxLength, C]. The sinusoidal kind has none and uses, at position
 * p and pair i, sin(p / 10000^(2i/C)) in column 2i and cos of the same angle in
 * column 2i + 1, as in "Attention Is All You Need".
 */
export class PositionalEncoding extends Module {
  readonly kind: PositionalEncodingKind;
  readonly maxLength: number;
  readonly width: number;
  /** [maxLength, C]: the learned parameter, or the fixed table. */
  readonly table: Tensor;

  constructor(maxLength: number, width: number, options: PositionalEncodingOptions) {
    super();
    checkPositiveInteger('PositionalEncoding', 'maxLength', maxLength);
    checkPositiveInteger('PositionalEncoding', 'width', width);
    this.kind = options.kind;
    this.maxLength = maxLength;
    this.width = width;
    if (options.kind === 'learned') {
      if (options.rng === undefined) throw new Error('PositionalEncoding: the learned kind needs a seeded rng for its initialisation.');
      this.table = this.registerParameter('weight', normalTensor([maxLength, width], options.std ?? 0.02, options.rng));
    } else if (options.kind === 'sinusoidal') {
      this.table = sinusoidalTable(maxLength, width);
    } else {
      throw new Error(`PositionalEncoding: unknown kind "${String(options.kind)}"; use "sinusoidal" or "learned".`);
    }
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.width) {
      throw new Error(`PositionalEncoding: input must be [..., T, ${this.width}], got ${formatShape(x.shape)}.`);
    }
    const length = x.shape[x.rank - 2];
    if (length > this.maxLength) {
      throw new Error(`PositionalEncoding: the sequence has ${length} positions but the encoding covers ${this.maxLength}; raise the context length or crop the input.`);
    }
    const positions = new Int32Array(length);
    for (let p = 0; p < length; p++) positions[p] = p;
    return add(x, embedding(this.table, positions, [length])); // [..., T, C] + [T, C]
  }
}

function sinusoidalTable(maxLength: number, width: number): Tensor {
  const data = new Float32Array(maxLength * width);
  for (let p = 0; p < maxLength; p++) {
    for (let column = 0; column < width; column += 2) {
      const angle = p / 10000 ** (column / width);
      data[p * width + column] = Math.sin(angle);
      if (column + 1 < width) data[p * width + column + 1] = Math.cos(angle);
    }
  }
  return new Tensor(data, [maxLength, width]);
}
