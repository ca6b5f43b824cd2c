import { gelu, type GeluApproximation } from '../ops/gelu';
import type { Rng } from '../tensor/random';
import type { Tensor } from '../tensor/tensor';
import { Linear } from './linear';
import { Module } from './module';

export interface FeedForwardOptions {
  rng: Rng;
  /** GELU variant between the two layers. Default 'none' (erf), as torch.nn.GELU; GPT-2 uses 'tanh'. */
  approximate?: GeluApproximation;
}

/** The position-wise network of a transformer block: fc2(gelu(fc1(x))), with fc1 [hidden, C] and fc2 [C, hidden]. */
export class FeedForward extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly approximate: GeluApproximation;

  constructor(width: number, hiddenWidth: number, options: FeedForwardOptions) {
    super();
    this.approximate = options.approximate ?? 'none';
    this.fc1 = this.registerModule('fc1', new Linear(width, hiddenWidth, { rng: options.rng, init: 'xavierUniform' }));
    this.fc2 = this.registerModule('fc2', new Linear(hiddenWidth, width, { rng: options.rng, init: 'xavierUniform' }));
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(gelu(this.fc1.forward(x), this.approximate)); // [..., C] -> [..., hidden] -> [..., C]
  }
}
