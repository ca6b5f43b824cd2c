/**
 * The optimizer contract. An optimizer updates its parameters in place from
 * their `grad` buffers. Parameters are keyed by their module names
 * (`fc1.weight`), which also key the optimizer state in checkpoints.
 */

import { Tensor } from '../tensor/tensor';

/** Optimizer state by key (`fc1.weight.exp_avg`, `fc1.weight.step`), as saved in checkpoints. */
export type OptimizerState = Record<string, Float32Array | number>;

export interface Optimizer {
  readonly parameters: ReadonlyMap<string, Tensor>;
  /** Step size; a learning-rate schedule may change it between steps. */
  learningRate: number;
  /** Updates every parameter that has a gradient. A parameter whose `grad` is null is skipped. */
  step(): void;
  /** Sets every parameter's gradient to zero, keeping the buffers. */
  zeroGrad(): void;
  /** Returns a copy of the per-parameter state (buffers and step counts). */
  stateDict(): OptimizerState;
  /** Replaces the per-parameter state with a copy of `state`, as `stateDict` returned it. */
  loadStateDict(state: OptimizerState): void;
}

/** Throws unless `value` is finite and within [min, maxExclusive), naming the optimizer and the field. */
export function checkHyperparameter(optimizer: string, field: string, value: unknown, min: number, maxExclusive = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${optimizer}: ${field} must be a finite number, got ${String(value)}.`);
  }
  if (value < min || value >= maxExclusive) {
    const range = maxExclusive === Infinity ? `at least ${min}` : `in [${min}, ${maxExclusive})`;
    throw new Error(`${optimizer}: ${field} must be ${range}, got ${value}.`);
  }
  return value;
}

/** Checks the parameter map an optimizer is built with and returns a frozen copy of it. */
export function checkParameters(optimizer: string, parameters: ReadonlyMap<string, Tensor>): ReadonlyMap<string, Tensor> {
  if (!(parameters instanceof Map)) throw new Error(`${optimizer}: parameters must be a Map from parameter name to Tensor.`);
  const seen = new Set<Tensor>();
  for (const [name, tensor] of parameters) {
    if (!(tensor instanceof Tensor)) throw new Error(`${optimizer}: parameter "${name}" is not a Tensor.`);
    if (seen.has(tensor)) throw new Error(`${optimizer}: parameter "${name}" is the same tensor as another entry; list each parameter once.`);
    seen.add(tensor);
  }
  return new Map(parameters);
}

/** Copies `source` into `target` after checking it is a Float32Array of the same length. */
export function loadBuffer(optimizer: string, key: string, source: Float32Array | number | undefined, target: Float32Array): void {
  if (!(source instanceof Float32Array)) throw new Error(`${optimizer}: state "${key}" is missing or not a Float32Array.`);
  if (source.length !== target.length) {
    throw new Error(`${optimizer}: state "${key}" has ${source.length} elements but the parameter has ${target.length}.`);
  }
  target.set(source);
}
