import type { Tensor } from '../tensor/tensor';
import { checkHyperparameter, checkParameters, loadBuffer, type Optimizer, type OptimizerState } from './optimizer';

export interface SGDOptions {
  learningRate: number;
  /** Momentum factor μ; 0 turns momentum off. */
  momentum?: number;
  /** L2 penalty added to the gradient: g + weightDecay·p. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with optional momentum, following
 * torch.optim.SGD with dampening 0 and no Nesterov:
 * g ← grad + weightDecay·p, b ← μ·b + g (b starts as g), p ← p − lr·b.
 */
export class SGD implements Optimizer {
  readonly parameters: ReadonlyMap<string, Tensor>;
  readonly momentum: number;
  readonly weightDecay: number;
  private rate: number;
  /** Momentum buffers by parameter name, created on a parameter's first step. */
  private readonly momentumBuffers = new Map<string, Float32Array>();

  constructor(parameters: Map<string, Tensor>, options: SGDOptions) {
    this.parameters = checkParameters('SGD', parameters);
    this.rate = checkHyperparameter('SGD', 'learningRate', options.learningRate, 0);
    this.momentum = checkHyperparameter('SGD', 'momentum', options.momentum ?? 0, 0);
    this.weightDecay = checkHyperparameter('SGD', 'weightDecay', options.weightDecay ?? 0, 0);
  }

  get learningRate(): number {
    return this.rate;
  }

  set learningRate(value: number) {
    this.rate = checkHyperparameter('SGD', 'learningRate', value, 0);
  }

  step(): void {
    const { rate, momentum, weightDecay } = this;
    for (const [name, parameter] of this.parameters) {
      const grad = parameter.grad;
      if (grad === null) continue;
      const values = parameter.data;

      if (momentum === 0) {
        for (let i = 0; i < values.length; i++) values[i] -= rate * (grad[i] + weightDecay * values[i]);
        continue;
      }

      let buffer = this.momentumBuffers.get(name);
      if (buffer === undefined) {
        buffer = new Float32Array(values.length);
        for (let i = 0; i < values.length; i++) buffer[i] = grad[i] + weightDecay * values[i];
        this.momentumBuffers.set(name, buffer);
      } else {
        for (let i = 0; i < values.length; i++) buffer[i] = momentum * buffer[i] + grad[i] + weightDecay * values[i];
      }
      for (let i = 0; i < values.length; i++) values[i] -= rate * buffer[i];
    }
  }

  zeroGrad(): void {
    for (const parameter of this.parameters.values()) parameter.zeroGrad();
  }

  stateDict(): OptimizerState {
    const state: OptimizerState = {};
    for (const [name, buffer] of this.momentumBuffers) state[`${name}.momentum_buffer`] = buffer.slice();
    return state;
  }

  loadStateDict(state: OptimizerState): void {
    const buffers = new Map<string, Float32Array>();
    for (const key of Object.keys(state)) {
      const name = key.endsWith('.momentum_buffer') ? key.slice(0, -'.momentum_buffer'.length) : null;
      const parameter = name === null ? undefined : this.parameters.get(name);
      if (name === null || parameter === undefined) {
        throw new Error(`SGD: state key "${key}" does not name a momentum buffer of a known parameter; expected "<parameter>.momentum_buffer" from an optimizer over the same parameters.`);
      }
      const buffer = new Float32Array(parameter.numel);
      loadBuffer('SGD', key, state[key], buffer);
      buffers.set(name, buffer);
    }
    this.momentumBuffers.clear();
    for (const [name, buffer] of buffers) this.momentumBuffers.set(name, buffer);
  }
}
