import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Tensor } from '../../src/engine/tensor/tensor';
import { Rng } from '../../src/engine/tensor/random';
import { AdamW } from '../../src/engine/optim/adamw';
import { clipGradNorm } from '../../src/engine/optim/clip';
import { warmupCosineSchedule } from '../../src/engine/optim/schedule';
import { generateTokens, sampleNextToken } from '../../src/engine/generate';
import { decode, maxExcessError, type EncodedTensor, type OptimizerOptionsFixture } from './fixtures';

interface ClipCase {
  name: string;
  maxNorm: number;
  gradients: Record<string, EncodedTensor>;
  totalNorm: number;
  clipped: Record<string, EncodedTensor>;
}

interface AdamWClipCase {
  name: string;
  options: OptimizerOptionsFixture;
  maxNorm: number;
  initial: Record<string, EncodedTensor>;
  steps: Array<{ gradients: Record<string, EncodedTensor>; totalNorm: number; parameters: Record<string, EncodedTensor> }>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/reference/transformer_optim.json', import.meta.url), 'utf8')) as {
  clipCases: ClipCase[];
  adamwCases: AdamWClipCase[];
};

// Parameters after several steps go through more float32 rounding than a single op.
const NORM_TOLERANCE = 1e-5;
const VALUE_TOLERANCE = { absolute: 1e-6, relative: 1e-5 };
const PARAMETER_TOLERANCE = { absolute: 1e-5, relative: 1e-5 };

function parametersWithGradients(gradients: Record<string, EncodedTensor>): Map<string, Tensor> {
  const parameters = new Map<string, Tensor>();
  for (const [name, encoded] of Object.entries(gradients)) {
    const parameter = Tensor.zeros(encoded.shape, true);
    parameter.grad = Float32Array.from(encoded.data);
    parameters.set(name, parameter);
  }
  return parameters;
}

describe('clipGradNorm against torch.nn.utils.clip_grad_norm_', () => {
  for (const entry of fixture.clipCases) {
    test(`${entry.name} returns the same total norm`, () => {
      const totalNorm = clipGradNorm(parametersWithGradients(entry.gradients), entry.maxNorm);
      expect(Math.abs(totalNorm - entry.totalNorm)).toBeLessThanOrEqual(NORM_TOLERANCE * entry.totalNorm);
    });

    test(`${entry.name} leaves the same gradients`, () => {
      const parameters = parametersWithGradients(entry.gradients);
      clipGradNorm(parameters, entry.maxNorm);
      for (const [name, expected] of Object.entries(entry.clipped)) {
        expect(maxExcessError(parameters.get(name)!.grad!, expected.data, VALUE_TOLERANCE.relative)).toBeLessThanOrEqual(VALUE_TOLERANCE.absolute);
      }
    });
  }

  test('clipGradNorm skips parameters without a gradient', () => {
    const withGrad = Tensor.zeros([2], true);
    withGrad.grad = Float32Array.of(3, 4);
    expect(clipGradNorm([withGrad, Tensor.zeros([3], true)], 1)).toBe(5);
    expect(withGrad.grad[0]).toBeCloseTo(0.6, 6);
  });

  test('clipGradNorm leaves gradients alone when the norm is NaN', () => {
    const parameter = Tensor.zeros([2], true);
    parameter.grad = Float32Array.of(NaN, 4);
    expect(clipGradNorm([parameter], 1)).toBeNaN();
    expect(parameter.grad[1]).toBe(4);
  });

  test('clipGradNorm rejects a non-positive maxNorm', () => {
    expect(() => clipGradNorm([], 0)).toThrow('clipGradNorm: maxNorm must be a finite number greater than 0, got 0.');
  });
});

describe('AdamW with clipping against PyTorch', () => {
  for (const entry of fixture.adamwCases) {
    test(`${entry.name} matches every step`, () => {
      const parameters = new Map(Object.entries(entry.initial).map(([name, encoded]) => [name, decode(encoded, true)] as const));
      const optimizer = new AdamW(parameters, entry.options);
      entry.steps.forEach((step, index) => {
        for (const [name, parameter] of parameters) parameter.grad = Float32Array.from(step.gradients[name].data);
        const totalNorm = clipGradNorm(parameters, entry.maxNorm);
        expect(Math.abs(totalNorm - step.totalNorm), `step ${index} norm`).toBeLessThanOrEqual(NORM_TOLERANCE * step.totalNorm);
        optimizer.step();
        for (const [name, parameter] of parameters) {
          const excess = maxExcessError(parameter.data, step.parameters[name].data, PARAMETER_TOLERANCE.relative);
          expect(excess, `step ${index} ${name}`).toBeLessThanOrEqual(PARAMETER_TOLERANCE.absolute);
        }
      });
    });
  }
});

describe('warmupCosineSchedule', () => {
  const schedule = warmupCosineSchedule({ baseLearningRate: 1e-3, warmupSteps: 10, totalSteps: 110, minLearningRate: 1e-4 });

  test('warmupCosineSchedule rises linearly during the warmup', () => {
    expect(schedule(0)).toBeCloseTo(1e-4, 12);
    expect(schedule(4)).toBeCloseTo(5e-4, 12);
    expect(schedule(9)).toBeCloseTo(1e-3, 12);
  });

  test('warmupCosineSchedule peaks right after the warmup', () => {
    expect(schedule(10)).toBeCloseTo(1e-3, 12);
  });

  test('warmupCosineSchedule is halfway at the middle of the decay', () => {
    expect(schedule(60)).toBeCloseTo(5.5e-4, 12);
  });

  test('warmupCosineSchedule stays at the minimum after totalSteps', () => {
    expect(schedule(110)).toBe(1e-4);
    expect(schedule(5000)).toBe(1e-4);
  });

  test('warmupCosineSchedule never increases after the warmup', () => {
    for (let step = 10; step < 120; step++) expect(schedule(step + 1)).toBeLessThanOrEqual(schedule(step));
  });

  test('warmupCosineSchedule without warmup starts at the base rate', () => {
    expect(warmupCosineSchedule({ baseLearningRate: 0.01, warmupSteps: 0, totalSteps: 5 })(0)).toBe(0.01);
  });

  test('warmupCosineSchedule rejects totalSteps not above warmupSteps', () => {
    expect(() => warmupCosineSchedule({ baseLearningRate: 0.01, warmupSteps: 5, totalSteps: 5 })).toThrow(
      'warmupCosineSchedule: totalSteps must be an integer greater than warmupSteps (5), got 5.',
    );
  });

  test('warmupCosineSchedule rejects a minimum above the base rate', () => {
    expect(() => warmupCosineSchedule({ baseLearningRate: 0.01, warmupSteps: 0, totalSteps: 5, minLearningRate: 0.1 })).toThrow(
      'warmupCosineSchedule: minLearningRate must be in [0, baseLearningRate = 0.01], got 0.1.',
    );
  });

  test('warmupCosineSchedule rejects a negative step', () => {
    expect(() => schedule(-1)).toThrow('warmupCosineSchedule: step must be a non-negative integer, got -1.');
  });
});

describe('sampleNextToken', () => {
  const logits = Float32Array.of(0.5, 2, -1, 2, 1);

  test('sampleNextToken at temperature 0 takes the argmax, lower id on ties', () => {
    expect(sampleNextToken(logits, { temperature: 0, rng: new Rng(1) })).toBe(1);
  });

  test('sampleNextToken with topK 1 is greedy at any temperature', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 20; i++) expect(sampleNextToken(logits, { temperature: 5, topK: 1, rng })).toBe(1);
  });

  test('sampleNextToken with topK 2 draws only the two most likely ids', () => {
    const rng = new Rng(3);
    const drawn = new Set<number>();
    for (let i = 0; i < 200; i++) drawn.add(sampleNextToken(logits, { temperature: 1, topK: 2, rng }));
    expect([...drawn].sort()).toEqual([1, 3]);
  });

  test('sampleNextToken frequencies follow the softmax', () => {
    const rng = new Rng(4);
    const counts = [0, 0, 0];
    const draws = 20000;
    const small = Float32Array.of(0, Math.log(2), Math.log(5)); // probabilities 1/8, 2/8, 5/8
    for (let i = 0; i < draws; i++) counts[sampleNextToken(small, { temperature: 1, rng })]++;
    expect(counts[0] / draws).toBeCloseTo(1 / 8, 1);
    expect(counts[1] / draws).toBeCloseTo(2 / 8, 1);
    expect(counts[2] / draws).toBeCloseTo(5 / 8, 1);
  });

  test('sampleNextToken with the same seed draws the same sequence', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 30 }, () => sampleNextToken(logits, { temperature: 1.3, rng }));
    };
    expect(draw(9)).toEqual(draw(9));
  });

  test('sampleNextToken rejects a negative temperature', () => {
    expect(() => sampleNextToken(logits, { temperature: -1, rng: new Rng(1) })).toThrow('sampleNextToken: temperature must be a finite number of at least 0 (0 is greedy), got -1.');
  });

  test('sampleNextToken rejects topK above the vocabulary size', () => {
    expect(() => sampleNextToken(logits, { temperature: 1, topK: 6, rng: new Rng(1) })).toThrow('sampleNextToken: topK must be an integer in [1, 5] (the vocabulary size), got 6.');
  });

  test('sampleNextToken rejects NaN logits', () => {
    expect(() => sampleNextToken(Float32Array.of(0, NaN), { temperature: 1, rng: new Rng(1) })).toThrow('sampleNextToken: logits[1] is NaN');
  });
});

describe('generateTokens', () => {
  test('generateTokens appends greedy tokens after the prompt', () => {
    // A model that always predicts the previous token plus one, modulo 4.
    const next = (context: Int32Array) => {
      const logits = new Float32Array(4);
      logits[(context[context.length - 1] + 1) % 4] = 10;
      return logits;
    };
    expect([...generateTokens(next, Int32Array.of(2), { maxNewTokens: 5, temperature: 0, rng: new Rng(1) })]).toEqual([2, 3, 0, 1, 2, 3]);
  });

  test('generateTokens rejects an empty prompt', () => {
    expect(() => generateTokens(() => new Float32Array(2), new Int32Array(0), { maxNewTokens: 1, temperature: 0, rng: new Rng(1) })).toThrow(
      'generateTokens: the prompt is empty',
    );
  });
});
