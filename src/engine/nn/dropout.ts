import { dropout } from '../ops/dropout';
import type { Rng } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';
import { Module } from './module';

/** Dropout with probability `p` in training mode and the identity in evaluation mode; the mask stream comes from `rng`. */
export class Dropout extends Module {
  readonly p: number;
  private readonly rng: Rng;

  constructor(p: number, rng: Rng) {
    super();
    if (!Number.isFinite(p) || p < 0 || p > 1) throw new Error(`Dropout: p must be a probability in [0, 1], got ${p}.`);
    this.p = p;
    this.rng = rng;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.rng, this.training);
  }
}
