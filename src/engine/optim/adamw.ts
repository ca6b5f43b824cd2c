import type { Tensor } from '../tensor/tensor';
import { Adam, type AdamOptions } from './adam';
import { checkHyperparameter } from './optimizer';

export interface AdamWOptions extends Omit<AdamOptions, 'weightDecay'> {
  /** Decoupled decay: each step first scales p by 1 − learningRate·weightDecay. Default 0.01, as in PyTorch. */
  weightDecay?: number;
}

/**
 * Adam with decoupled weight decay, following torch.optim.AdamW with amsgrad
 * off. Each step shrinks every parameter that has a gradient by
 * (1 − lr·weightDecay), then takes a plain Adam step, so the decay never
 * passes through the moment estimates.
 */
export class AdamW extends Adam {
  readonly decoupledWeightDecay: number;

  constructor(parameters: Map<string, Tensor>, options: AdamWOptions) {
    super(parameters, { ...options, weightDecay: 0 });
    this.decoupledWeightDecay = checkHyperparameter('AdamW', 'weightDecay', options.weightDecay ?? 0.01, 0);
  }

  protected override get optimizerName(): string {
    return 'AdamW';
  }

  override step(): void {
    const factor = 1 - this.learningRate * this.decoupledWeightDecay;
    for (const parameter of this.parameters.values()) {
      if (parameter.grad === null) continue;
      const values = parameter.data;
      for (let i = 0; i < values.length; i++) values[i] *= factor;
    }
    super.step();
  }
}
