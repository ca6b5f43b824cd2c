import type { Tensor } from '../tensor/tensor';
import { checkHyperparameter, checkParameters, loadBuffer, type Optimizer, type OptimizerState } from './optimizer';

export interface AdamOptions {
  learningRate: number;
  /** Decay rate of the first-moment (mean) estimate. */
  beta1?: number;
  /** Decay rate of the second-moment (uncentred variance) estimate. */
  beta2?: number;
  /** Added to the denominator for numerical stability. */
  epsilon?: number;
  /** L2 penalty added to the gradient: g + weightDecay·p (not decoupled as in AdamW). */
  weightDecay?: number;
}

interface AdamSlot {
  /** Number of steps this parameter has taken. */
  step: number;
  /** First moment m, named `exp_avg` in checkpoints as in PyTorch. */
  expAvg: Float32Array;
  /** Second moment v, named `exp_avg_sq` in checkpoints. */
  expAvgSq: Float32Array;
}

/**
 * Adam with bias correction, following torch.optim.Adam with amsgrad off.
 * Each step computes g ← grad + weightDecay·p, m ← β₁m + (1 − β₁)g and
 * v ← β₂v + (1 − β₂)g². It then sets p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
 */
export class Adam implements Optimizer {
  readonly parameters: ReadonlyMap<string, Tensor>;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private rate: number;
  /** Moments and step counts by parameter name, created on a parameter's first step. */
  private readonly slots = new Map<string, AdamSlot>();

  constructor(parameters: Map<string, Tensor>, options: AdamOptions) {
    this.parameters = checkParameters(this.optimizerName, parameters);
    this.rate = checkHyperparameter(this.optimizerName, 'learningRate', options.learningRate, 0);
    this.beta1 = checkHyperparameter(this.optimizerName, 'beta1', options.beta1 ?? 0.9, 0, 1);
    this.beta2 = checkHyperparameter(this.optimizerName, 'beta2', options.beta2 ?? 0.999, 0, 1);
    this.epsilon = checkHyperparameter(this.optimizerName, 'epsilon', options.epsilon ?? 1e-8, 0);
    this.weightDecay = checkHyperparameter(this.optimizerName, 'weightDecay', options.weightDecay ?? 0, 0);
  }

  /** Optimizer name in error messages, which a subclass overrides. */
  protected get optimizerName(): string {
    return 'Adam';
  }

  get learningRate(): number {
    return this.rate;
  }

  set learningRate(value: number) {
    this.rate = checkHyperparameter(this.optimizerName, 'learningRate', value, 0);
  }

  step(): void {
    const { beta1, beta2, epsilon, weightDecay } = this;
    for (const [name, parameter] of this.parameters) {
      const grad = parameter.grad;
      if (grad === null) continue;
      const values = parameter.data;

      let slot = this.slots.get(name);
      if (slot === undefined) {
        slot = { step: 0, expAvg: new Float32Array(values.length), expAvgSq: new Float32Array(values.length) };
        this.slots.set(name, slot);
      }
      slot.step += 1;
      const stepSize = this.rate / (1 - beta1 ** slot.step);
      const correction2Sqrt = Math.sqrt(1 - beta2 ** slot.step);
      const { expAvg, expAvgSq } = slot;

      for (let i = 0; i < values.length; i++) {
        const g = grad[i] + weightDecay * values[i];
        expAvg[i] = beta1 * expAvg[i] + (1 - beta1) * g;
        expAvgSq[i] = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
        values[i] -= (stepSize * expAvg[i]) / (Math.sqrt(expAvgSq[i]) / correction2Sqrt + epsilon);
      }
    }
  }

  zeroGrad(): void {
    for (const parameter of this.parameters.values()) parameter.zeroGrad();
  }

  stateDict(): OptimizerState {
    const state: OptimizerState = {};
    for (const [name, slot] of this.slots) {
      state[`${name}.step`] = slot.step;
      state[`${name}.exp_avg`] = slot.expAvg.slice();
      state[`${name}.exp_avg_sq`] = slot.expAvgSq.slice();
    }
    return state;
  }

  loadStateDict(state: OptimizerState): void {
    const slots = new Map<string, AdamSlot>();
    for (const key of Object.keys(state)) {
      const name = key.slice(0, key.lastIndexOf('.'));
      const field = key.slice(key.lastIndexOf('.') + 1);
      const parameter = this.parameters.get(name);
      if (parameter === undefined || !['step', 'exp_avg', 'exp_avg_sq'].includes(field)) {
        throw new Error(`${this.optimizerName}: state key "${key}" is not "<parameter>.step", ".exp_avg" or ".exp_avg_sq" of a known parameter; load a state saved by an optimizer over the same parameters.`);
      }
      if (slots.has(name)) continue;

      const step = state[`${name}.step`];
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
        throw new Error(`${this.optimizerName}: state "${name}.step" must be a non-negative integer, got ${String(step)}.`);
      }
      const slot: AdamSlot = { step, expAvg: new Float32Array(parameter.numel), expAvgSq: new Float32Array(parameter.numel) };
      loadBuffer(this.optimizerName, `${name}.exp_avg`, state[`${name}.exp_avg`], slot.expAvg);
      loadBuffer(this.optimizerName, `${name}.exp_avg_sq`, state[`${name}.exp_avg_sq`], slot.expAvgSq);
      slots.set(name, slot);
    }
    this.slots.clear();
    for (const [name, slot] of slots) this.slots.set(name, slot);
  }
}
