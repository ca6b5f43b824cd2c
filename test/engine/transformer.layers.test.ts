import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { noGrad, Tensor } from '../../src/engine/tensor/tensor';
import { Rng } from '../../src/engine/tensor/random';
import type { Module } from '../../src/engine/nn/module';
import { AttentionHead, MultiHeadAttention, type AttentionResult } from '../../src/engine/nn/attention';
import { TransformerBlock } from '../../src/engine/nn/block';
import { LayerNorm, RMSNorm } from '../../src/engine/nn/norm';
import type { GeluApproximation } from '../../src/engine/ops';
import { decode, maxExcessError, type EncodedTensor } from './fixtures';
import { gradientMismatches } from './gradcheck';

interface LayerCase {
  name: string;
  layer: 'AttentionHead' | 'MultiHeadAttention' | 'TransformerBlock' | 'LayerNorm' | 'RMSNorm';
  config: {
    modelWidth?: number;
    headSize?: number;
    headCount?: number;
    causal?: boolean;
    feedForwardWidth?: number;
    approximate?: GeluApproximation;
    width?: number;
    eps?: number;
  };
  parameters: Record<string, EncodedTensor>;
  input: EncodedTensor;
  output: EncodedTensor;
  attentionWeights?: EncodedTensor[];
  upstream: EncodedTensor;
  inputGradient: EncodedTensor;
  parameterGradients: Record<string, EncodedTensor>;
}

const VALUE_TOLERANCE = { absolute: 1e-5, relative: 1e-4 };
const GRADIENT_TOLERANCE = { absolute: 5e-5, relative: 1e-4 };

function loadCases(): LayerCase[] {
  const text = readFileSync(new URL('../fixtures/reference/transformer_layers.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { cases: LayerCase[] }).cases;
}

/** A module with an `attend` method, or one whose forward output is all there is. */
interface LayerUnderTest {
  module: Module;
  run: (x: Tensor) => AttentionResult;
}

function buildLayer(entry: LayerCase): LayerUnderTest {
  const rng = new Rng(1);
  const { config } = entry;
  switch (entry.layer) {
    case 'AttentionHead': {
      const head = new AttentionHead(config.modelWidth!, config.headSize!, { rng, causal: config.causal });
      return { module: head, run: (x) => head.attend(x) };
    }
    case 'MultiHeadAttention': {
      const attention = new MultiHeadAttention(config.modelWidth!, config.headCount!, { rng, causal: config.causal });
      return { module: attention, run: (x) => attention.attend(x) };
    }
    case 'TransformerBlock': {
      const block = new TransformerBlock(config.modelWidth!, config.headCount!, {
        rng,
        feedForwardWidth: config.feedForwardWidth,
        approximate: config.approximate,
      });
      return { module: block, run: (x) => block.attend(x) };
    }
    case 'LayerNorm': {
      const norm = new LayerNorm(config.width!, { eps: config.eps });
      return { module: norm, run: (x) => ({ output: norm.forward(x), weights: [] }) };
    }
    case 'RMSNorm': {
      const norm = new RMSNorm(config.width!, { eps: config.eps });
      return { module: norm, run: (x) => ({ output: norm.forward(x), weights: [] }) };
    }
  }
}

/** Copies the fixture's weights into the module by parameter name, failing on any name the module lacks. */
function loadParameters(module: Module, parameters: Record<string, EncodedTensor>): void {
  const own = module.parameterMap();
  for (const [name, encoded] of Object.entries(parameters)) {
    const parameter = own.get(name);
    if (parameter === undefined) throw new Error(`module has no parameter "${name}"; it has ${[...own.keys()].join(', ')}`);
    parameter.data.set(encoded.data);
  }
}

describe('transformer layers against PyTorch', () => {
  for (const entry of loadCases()) {
    describe(entry.name, () => {
      const run = () => {
        const layer = buildLayer(entry);
        loadParameters(layer.module, entry.parameters);
        const x = decode(entry.input, true);
        const result = layer.run(x);
        result.output.backward(Float32Array.from(entry.upstream.data));
        return { layer, x, result };
      };

      test(`${entry.name} names match the fixture parameters`, () => {
        const names = buildLayer(entry).module.namedParameters().map(([name]) => name);
        expect(names.sort()).toEqual(Object.keys(entry.parameters).sort());
      });

      test(`${entry.name} output matches PyTorch`, () => {
        const { result } = run();
        expect([...result.output.shape]).toEqual(entry.output.shape);
        expect(maxExcessError(result.output.data, entry.output.data, VALUE_TOLERANCE.relative)).toBeLessThanOrEqual(VALUE_TOLERANCE.absolute);
      });

      if (entry.attentionWeights !== undefined) {
        test(`${entry.name} attention weights match PyTorch`, () => {
          const { result } = run();
          expect(result.weights).toHaveLength(entry.attentionWeights!.length);
          result.weights.forEach((weights, head) => {
            expect([...weights.shape]).toEqual(entry.attentionWeights![head].shape);
            expect(maxExcessError(weights.data, entry.attentionWeights![head].data, VALUE_TOLERANCE.relative)).toBeLessThanOrEqual(VALUE_TOLERANCE.absolute);
          });
        });
      }

      test(`${entry.name} input gradient matches PyTorch`, () => {
        const { x } = run();
        expect(maxExcessError(x.grad!, entry.inputGradient.data, GRADIENT_TOLERANCE.relative)).toBeLessThanOrEqual(GRADIENT_TOLERANCE.absolute);
      });

      for (const [name, expected] of Object.entries(entry.parameterGradients)) {
        test(`${entry.name} gradient of ${name} matches PyTorch`, () => {
          const grad = run().layer.module.parameterMap().get(name)!.grad;
          expect(grad).not.toBeNull();
          expect(maxExcessError(grad!, expected.data, GRADIENT_TOLERANCE.relative)).toBeLessThanOrEqual(GRADIENT_TOLERANCE.absolute);
        });
      }
    });
  }
});

function randomInput(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(shape.reduce((count, dim) => count * dim, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return new Tensor(data, shape);
}

describe('transformer layers against finite differences', () => {
  test('TransformerBlock backward matches finite differences for its input', () => {
    const block = new TransformerBlock(6, 2, { rng: new Rng(2), feedForwardWidth: 8 });
    expect(gradientMismatches(([x]) => block.forward(x), [randomInput([2, 3, 6], 3)])).toEqual([]);
  });

  test('TransformerBlock backward matches finite differences for every parameter', () => {
    const block = new TransformerBlock(4, 2, { rng: new Rng(4), feedForwardWidth: 6 });
    const x = randomInput([1, 3, 4], 5);
    for (const [name, parameter] of block.namedParameters()) {
      expect(parameterGradientMismatches(block, parameter, () => block.forward(x)).map((line) => `${name} ${line}`)).toEqual([]);
    }
  });
});

/**
 * Compares a parameter's analytic gradient of Σ wᵢ·outᵢ (fixed random w) with
 * central differences taken by perturbing the parameter in place, as
 * gradientMismatches does for op inputs.
 */
function parameterGradientMismatches(module: Module, parameter: Tensor, compute: () => Tensor): string[] {
  const step = 1e-2;
  const output = compute();
  const rng = new Rng(7);
  const weights = new Float32Array(output.numel);
  for (let i = 0; i < weights.length; i++) weights[i] = rng.uniform(-1, 1);
  module.zeroGrad();
  output.backward(weights);
  const analytic = parameter.grad!.slice();

  const objective = (): number =>
    noGrad(() => {
      const values = compute().data;
      let total = 0;
      for (let i = 0; i < values.length; i++) total += weights[i] * values[i];
      return total;
    });
  const mismatches: string[] = [];
  for (let i = 0; i < parameter.numel; i++) {
    const original = parameter.data[i];
    parameter.data[i] = original + step;
    const upper = parameter.data[i];
    const upperValue = objective();
    parameter.data[i] = original - step;
    const lower = parameter.data[i];
    const lowerValue = objective();
    parameter.data[i] = original;
    const numeric = (upperValue - lowerValue) / (upper - lower);
    if (Math.abs(analytic[i] - numeric) > 1e-3 + 1e-2 * Math.abs(numeric)) mismatches.push(`element ${i}: analytic ${analytic[i]}, numeric ${numeric}`);
  }
  return mismatches;
}
