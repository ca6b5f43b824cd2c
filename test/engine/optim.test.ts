import { describe, expect, test } from 'vitest';
import { Tensor } from '../../src/engine/tensor/tensor';
import { linear } from '../../src/engine/ops/linear';
import { mseLoss } from '../../src/engine/ops/mse';
import { Adam } from '../../src/engine/optim/adam';
import { AdamW } from '../../src/engine/optim/adamw';
import { SGD } from '../../src/engine/optim/sgd';
import type { Optimizer } from '../../src/engine/optim/optimizer';
import { decode, loadOptimizerCases, maxExcessError, type OptimizerCase } from './fixtures';

// Parameters go through several float32 updates; Adam divides by √v, which magnifies rounding.
const PARAMETER_TOLERANCE = { absolute: 1e-5, relative: 1e-4 };
const LOSS_TOLERANCE = { absolute: 1e-5, relative: 1e-5 };

function createOptimizer(entry: OptimizerCase, parameters: Map<string, Tensor>): Optimizer {
  if (entry.optimizer === 'sgd') return new SGD(parameters, entry.options);
  if (entry.optimizer === 'adamw') return new AdamW(parameters, entry.options);
  return new Adam(parameters, entry.options);
}

function initialParameters(entry: OptimizerCase): Map<string, Tensor> {
  return new Map(Object.entries(entry.initial).map(([name, encoded]) => [name, decode(encoded, true)]));
}

describe('optimizers against PyTorch', () => {
  for (const entry of loadOptimizerCases()) {
    const regressionInputs = entry.inputs;
    if (regressionInputs === undefined) {
      test(`${entry.name} match PyTorch after each step`, () => {
        const parameters = initialParameters(entry);
        const optimizer = createOptimizer(entry, parameters);
        entry.steps.forEach((step, stepIndex) => {
          for (const [name, parameter] of parameters) parameter.grad = Float32Array.from(step.gradients![name].data);
          optimizer.step();
          for (const [name, parameter] of parameters) {
            const error = maxExcessError(parameter.data, step.parameters[name].data, PARAMETER_TOLERANCE.relative);
            expect(error, `${name} after step ${stepIndex + 1}`).toBeLessThanOrEqual(PARAMETER_TOLERANCE.absolute);
          }
        });
      });
      continue;
    }

    test(`${entry.name} matches PyTorch losses and parameters`, () => {
      const parameters = initialParameters(entry);
      const optimizer = createOptimizer(entry, parameters);
      const inputs = decode(regressionInputs);
      const targets = decode(entry.targets!);
      entry.steps.forEach((step, stepIndex) => {
        optimizer.zeroGrad();
        const loss = mseLoss(linear(inputs, parameters.get('weight')!, parameters.get('bias')!), targets);
        loss.backward();
        optimizer.step();
        expect(maxExcessError(loss.data, [step.loss!], LOSS_TOLERANCE.relative), `loss at step ${stepIndex + 1}`).toBeLessThanOrEqual(
          LOSS_TOLERANCE.absolute,
        );
        for (const [name, parameter] of parameters) {
          const error = maxExcessError(parameter.data, step.parameters[name].data, PARAMETER_TOLERANCE.relative);
          expect(error, `${name} after step ${stepIndex + 1}`).toBeLessThanOrEqual(PARAMETER_TOLERANCE.absolute);
        }
      });
    });
  }
});

describe('optimizer hyperparameter checks', () => {
  const parameters = () => new Map([['weight', Tensor.zeros([2], true)]]);

  test('SGD rejects a negative learning rate', () => {
    expect(() => new SGD(parameters(), { learningRate: -0.1 })).toThrow('SGD: learningRate must be at least 0, got -0.1.');
  });

  test('SGD rejects a non-finite learning rate', () => {
    expect(() => new SGD(parameters(), { learningRate: Infinity })).toThrow('SGD: learningRate must be a finite number, got Infinity.');
  });

  test('SGD rejects a negative momentum', () => {
    expect(() => new SGD(parameters(), { learningRate: 0.1, momentum: -0.5 })).toThrow('SGD: momentum must be at least 0, got -0.5.');
  });

  test('SGD rejects a NaN weight decay', () => {
    expect(() => new SGD(parameters(), { learningRate: 0.1, weightDecay: Number.NaN })).toThrow(
      'SGD: weightDecay must be a finite number, got NaN.',
    );
  });

  test('SGD learningRate setter rejects NaN', () => {
    const optimizer = new SGD(parameters(), { learningRate: 0.1 });
    expect(() => {
      optimizer.learningRate = Number.NaN;
    }).toThrow('SGD: learningRate must be a finite number, got NaN.');
  });

  test('Adam rejects a NaN learning rate', () => {
    expect(() => new Adam(parameters(), { learningRate: Number.NaN })).toThrow('Adam: learningRate must be a finite number, got NaN.');
  });

  test('Adam rejects beta1 of 1', () => {
    expect(() => new Adam(parameters(), { learningRate: 0.1, beta1: 1 })).toThrow('Adam: beta1 must be in [0, 1), got 1.');
  });

  test('Adam rejects a negative beta2', () => {
    expect(() => new Adam(parameters(), { learningRate: 0.1, beta2: -0.1 })).toThrow('Adam: beta2 must be in [0, 1), got -0.1.');
  });

  test('Adam rejects a negative epsilon', () => {
    expect(() => new Adam(parameters(), { learningRate: 0.1, epsilon: -1 })).toThrow('Adam: epsilon must be at least 0, got -1.');
  });

  test('Adam learningRate setter rejects a negative value', () => {
    const optimizer = new Adam(parameters(), { learningRate: 0.1 });
    expect(() => {
      optimizer.learningRate = -1;
    }).toThrow('Adam: learningRate must be at least 0, got -1.');
  });

  test('AdamW rejects a negative weight decay', () => {
    expect(() => new AdamW(parameters(), { learningRate: 0.1, weightDecay: -0.01 })).toThrow('AdamW: weightDecay must be at least 0, got -0.01.');
  });

  test('AdamW names itself in learning rate errors', () => {
    expect(() => new AdamW(parameters(), { learningRate: -1 })).toThrow('AdamW: learningRate must be at least 0, got -1.');
  });

  test('optimizer rejects a parameter that is not a tensor', () => {
    const bad = new Map([['weight', [1, 2] as unknown as Tensor]]);
    expect(() => new Adam(bad, { learningRate: 0.1 })).toThrow('Adam: parameter "weight" is not a Tensor.');
  });

  test('optimizer rejects the same tensor under two names', () => {
    const shared = Tensor.zeros([2], true);
    const duplicated = new Map([
      ['a', shared],
      ['b', shared],
    ]);
    expect(() => new SGD(duplicated, { learningRate: 0.1 })).toThrow('SGD: parameter "b" is the same tensor as another entry; list each parameter once.');
  });
});

describe('optimizer behaviour', () => {
  test('step skips a parameter without a gradient', () => {
    const parameter = Tensor.from([1, 2], [2], true);
    new Adam(new Map([['weight', parameter]]), { learningRate: 0.1 }).step();
    expect([...parameter.data]).toEqual([1, 2]);
  });

  test('zeroGrad clears every gradient', () => {
    const parameter = Tensor.from([1, 2], [2], true);
    parameter.grad = Float32Array.of(3, 4);
    new SGD(new Map([['weight', parameter]]), { learningRate: 0.1 }).zeroGrad();
    expect([...parameter.grad]).toEqual([0, 0]);
  });

  for (const kind of ['sgd', 'adam'] as const) {
    test(`${kind} resumes identically from its state dict`, () => {
      const make = (parameter: Tensor): Optimizer => {
        const parameters = new Map([['layer.weight', parameter]]);
        return kind === 'sgd' ? new SGD(parameters, { learningRate: 0.1, momentum: 0.9 }) : new Adam(parameters, { learningRate: 0.1 });
      };
      const gradients = [Float32Array.of(0.5, -1), Float32Array.of(0.25, 2), Float32Array.of(-1, 0.5)];
      const original = Tensor.from([1, -1], [2], true);
      const first = make(original);
      for (const gradient of gradients.slice(0, 2)) {
        original.grad = gradient.slice();
        first.step();
      }

      const resumed = Tensor.from(original.data, [2], true);
      const second = make(resumed);
      second.loadStateDict(first.stateDict());
      original.grad = gradients[2].slice();
      resumed.grad = gradients[2].slice();
      first.step();
      second.step();
      expect([...resumed.data]).toEqual([...original.data]);
    });
  }

  test('stateDict returns copies of the buffers', () => {
    const parameter = Tensor.from([1], [1], true);
    const optimizer = new SGD(new Map([['weight', parameter]]), { learningRate: 0.1, momentum: 0.9 });
    parameter.grad = Float32Array.of(1);
    optimizer.step();
    const state = optimizer.stateDict();
    (state['weight.momentum_buffer'] as Float32Array)[0] = 100;
    expect(optimizer.stateDict()['weight.momentum_buffer']).toEqual(Float32Array.of(1));
  });

  test('SGD loadStateDict rejects an unknown parameter', () => {
    const optimizer = new SGD(new Map([['weight', Tensor.zeros([2], true)]]), { learningRate: 0.1, momentum: 0.9 });
    expect(() => optimizer.loadStateDict({ 'bias.momentum_buffer': new Float32Array(2) })).toThrow(
      'SGD: state key "bias.momentum_buffer" does not name a momentum buffer of a known parameter; expected "<parameter>.momentum_buffer" from an optimizer over the same parameters.',
    );
  });

  test('Adam loadStateDict rejects a buffer of the wrong length', () => {
    const optimizer = new Adam(new Map([['weight', Tensor.zeros([2], true)]]), { learningRate: 0.1 });
    const state = { 'weight.step': 1, 'weight.exp_avg': new Float32Array(3), 'weight.exp_avg_sq': new Float32Array(2) };
    expect(() => optimizer.loadStateDict(state)).toThrow('Adam: state "weight.exp_avg" has 3 elements but the parameter has 2.');
  });

  test('Adam loadStateDict rejects a missing step count', () => {
    const optimizer = new Adam(new Map([['weight', Tensor.zeros([2], true)]]), { learningRate: 0.1 });
    const state = { 'weight.exp_avg': new Float32Array(2), 'weight.exp_avg_sq': new Float32Array(2) };
    expect(() => optimizer.loadStateDict(state)).toThrow('Adam: state "weight.step" must be a non-negative integer, got undefined.');
  });
});
