import { linear } from '../ops/linear';
import type { Rng } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';
import { heNormal, heUniform, xavierNormal, xavierUniform, zeros } from './init';
import { Module } from './module';

export type LinearInit = 'heNormal' | 'heUniform' | 'xavierUniform' | 'xavierNormal';

export interface LinearOptions {
  /** Seeded generator for the weight initialisation. */
  rng: Rng;
  /** Adds a learned bias, initialised to zeros. Default true. */
  bias?: boolean;
  /** Weight initialisation. Default `heUniform`, which suits ReLU layers; choose a Xavier scheme before tanh or sigmoid. */
  init?: LinearInit;
}

const INITS: readonly LinearInit[] = ['heNormal', 'heUniform', 'xavierUniform', 'xavierNormal'];

/** A fully connected layer, y = x·weightᵀ + bias, with weight [out, in] and bias [out] as in PyTorch. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions) {
    super();
    for (const [name, value] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new Error(`Linear: ${name} must be a positive integer, got ${value}.`);
    }
    const init = options.init ?? 'heUniform';
    if (!INITS.includes(init)) throw new Error(`Linear: unknown init "${init}"; use one of ${INITS.join(', ')}.`);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;

    const shape = [outFeatures, inFeatures];
    const weight =
      init === 'heNormal' ? heNormal(shape, inFeatures, options.rng)
      : init === 'heUniform' ? heUniform(shape, inFeatures, options.rng)
      : init === 'xavierUniform' ? xavierUniform(shape, inFeatures, outFeatures, options.rng)
      : xavierNormal(shape, inFeatures, outFeatures, options.rng);
    this.weight = this.registerParameter('weight', weight);
    this.bias = (options.bias ?? true) ? this.registerParameter('bias', zeros([outFeatures])) : null;
  }

  /** Maps x [N, in] (or [..., in]) to [N, out] (or [..., out]). */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
