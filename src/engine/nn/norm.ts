import { layerNorm } from '../ops/layernorm';
import { rmsNorm } from '../ops/rmsnorm';
import { Tensor } from '../tensor/tensor';
import { checkPositiveInteger } from './embedding';
import { Module } from './module';

export interface NormOptions {
  /** Added to the variance (or mean square) before the square root. Default 1e-5, as torch.nn.LayerNorm. */
  eps?: number;
}

/** Layer normalisation over the last axis, as torch.nn.LayerNorm: parameters `weight` [C] (ones) and `bias` [C] (zeros). */
export class LayerNorm extends Module {
  readonly width: number;
  readonly eps: number;
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(width: number, options: NormOptions = {}) {
    super();
    checkPositiveInteger('LayerNorm', 'width', width);
    this.width = width;
    this.eps = options.eps ?? 1e-5;
    this.weight = this.registerParameter('weight', Tensor.full([width], 1, true));
    this.bias = this.registerParameter('bias', Tensor.zeros([width], true));
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** Root-mean-square normalisation over the last axis: one parameter, `weight` [C] (ones), and no bias. */
export class RMSNorm extends Module {
  readonly width: number;
  readonly eps: number;
  readonly weight: Tensor;

  constructor(width: number, options: NormOptions = {}) {
    super();
    checkPositiveInteger('RMSNorm', 'width', width);
    this.width = width;
    this.eps = options.eps ?? 1e-5;
    this.weight = this.registerParameter('weight', Tensor.full([width], 1, true));
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}
