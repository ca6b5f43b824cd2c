/**
 * Loads the PyTorch reference fixtures written by
 * scripts/reference/generate_engine_fixtures.py, and maps each fixture op name
 * to the engine op it checks.
 */

import { readFileSync } from 'node:fs';
import { Tensor } from '../../src/engine/tensor/tensor';
import { add } from '../../src/engine/ops/add';
import { sub } from '../../src/engine/ops/sub';
import { mul } from '../../src/engine/ops/mul';
import { div } from '../../src/engine/ops/div';
import { scale } from '../../src/engine/ops/scale';
import { sum } from '../../src/engine/ops/sum';
import { mean } from '../../src/engine/ops/mean';
import { reshape } from '../../src/engine/ops/reshape';
import { matmul } from '../../src/engine/ops/matmul';
import { linear } from '../../src/engine/ops/linear';
import { relu } from '../../src/engine/ops/relu';
import { sigmoid } from '../../src/engine/ops/sigmoid';
import { tanh } from '../../src/engine/ops/tanh';
import { softmax } from '../../src/engine/ops/softmax';
import { logSoftmax } from '../../src/engine/ops/logsoftmax';
import { mseLoss } from '../../src/engine/ops/mse';
import { softmaxCrossEntropy } from '../../src/engine/ops/crossentropy';

export interface EncodedTensor {
  shape: number[];
  data: number[];
}

export interface Attributes {
  factor?: number;
  axis?: number;
  keepDims?: boolean;
  shape?: number[];
  labels?: number[];
}

export interface OpCase {
  name: string;
  op: string;
  attributes: Attributes;
  inputs: EncodedTensor[];
  output: EncodedTensor;
  upstream: EncodedTensor;
  gradients: EncodedTensor[];
}

export interface OptimizerOptionsFixture {
  learningRate: number;
  momentum?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface OptimizerCase {
  name: string;
  optimizer: 'sgd' | 'adam' | 'adamw';
  options: OptimizerOptionsFixture;
  initial: Record<string, EncodedTensor>;
  /** Present for the linear regression cases. */
  inputs?: EncodedTensor;
  targets?: EncodedTensor;
  steps: Array<{
    /** Present for the given-gradient cases. */
    gradients?: Record<string, EncodedTensor>;
    /** Present for the linear regression cases: the loss before the step. */
    loss?: number;
    parameters: Record<string, EncodedTensor>;
  }>;
}

function loadCases<T>(fileName: string): T[] {
  const text = readFileSync(new URL(`../fixtures/reference/${fileName}`, import.meta.url), 'utf8');
  return (JSON.parse(text) as { cases: T[] }).cases;
}

export function loadOpCases(): OpCase[] {
  return loadCases<OpCase>('ops.json');
}

export function loadOptimizerCases(): OptimizerCase[] {
  return loadCases<OptimizerCase>('optimizers.json');
}

export function decode(encoded: EncodedTensor, requiresGrad = false): Tensor {
  return Tensor.from(encoded.data, encoded.shape, requiresGrad);
}

type OpRunner = (inputs: Tensor[], attributes: Attributes) => Tensor;

/** Engine op for each fixture op name, applied to the fixture's inputs and attributes. */
export const OP_RUNNERS: Record<string, OpRunner> = {
  matmul: ([a, b]) => matmul(a, b),
  linear: ([x, weight, bias]) => linear(x, weight, bias),
  add: ([a, b]) => add(a, b),
  sub: ([a, b]) => sub(a, b),
  mul: ([a, b]) => mul(a, b),
  div: ([a, b]) => div(a, b),
  scale: ([a], { factor }) => scale(a, factor!),
  sum: ([a], { axis, keepDims }) => sum(a, axis, keepDims),
  mean: ([a], { axis, keepDims }) => mean(a, axis, keepDims),
  reshape: ([a], { shape }) => reshape(a, shape!),
  relu: ([a]) => relu(a),
  sigmoid: ([a]) => sigmoid(a),
  tanh: ([a]) => tanh(a),
  softmax: ([a], { axis }) => softmax(a, axis),
  logSoftmax: ([a], { axis }) => logSoftmax(a, axis),
  mseLoss: ([prediction, target]) => mseLoss(prediction, target),
  softmaxCrossEntropy: ([logits], { labels }) => softmaxCrossEntropy(logits, Int32Array.from(labels!)),
};

/** Returns the largest of |actual − expected| − relativeTolerance·|expected| over all elements; ≤ absoluteTolerance means close. */
export function maxExcessError(actual: ArrayLike<number>, expected: ArrayLike<number>, relativeTolerance: number): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - relativeTolerance * Math.abs(expected[i]);
    if (!(excess <= worst)) worst = excess; // also catches NaN
  }
  return worst;
}
