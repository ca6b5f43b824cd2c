import { describe, expect, test } from 'vitest';
import { Tensor } from '../../src/engine/tensor/tensor';
import { Rng } from '../../src/engine/tensor/random';
import { linear } from '../../src/engine/ops/linear';
import { sum } from '../../src/engine/ops/sum';
import { tanh } from '../../src/engine/ops/tanh';
import { Module } from '../../src/engine/nn/module';
import { Linear } from '../../src/engine/nn/linear';
import { heNormal, heUniform, xavierNormal, xavierUniform, zeros } from '../../src/engine/nn/init';

class TwoLayer extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(rng: Rng) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(3, 4, { rng }));
    this.fc2 = this.registerModule('fc2', new Linear(4, 2, { rng, bias: false }));
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(tanh(this.fc1.forward(x)));
  }
}

class Scaled extends Module {
  constructor() {
    super();
    this.registerParameter('gain', Tensor.from([1], [1], true));
  }

  registerAgain(name: string): void {
    this.registerParameter(name, Tensor.from([1], [1], true));
  }

  forward(x: Tensor): Tensor {
    return x;
  }
}

function statistics(data: Float32Array): { mean: number; std: number; maxAbs: number } {
  let total = 0;
  let maxAbs = 0;
  for (const value of data) {
    total += value;
    maxAbs = Math.max(maxAbs, Math.abs(value));
  }
  const mean = total / data.length;
  let squares = 0;
  for (const value of data) squares += (value - mean) ** 2;
  return { mean, std: Math.sqrt(squares / data.length), maxAbs };
}

describe('Module', () => {
  test('namedParameters prefixes child names in registration order', () => {
    const names = new TwoLayer(new Rng(1)).namedParameters().map(([name]) => name);
    expect(names).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight']);
  });

  test('parameterMap keys parameters by dotted name', () => {
    const model = new TwoLayer(new Rng(1));
    expect(model.parameterMap().get('fc1.bias')).toBe(model.fc1.bias);
  });

  test('zeroGrad clears every parameter gradient', () => {
    const model = new TwoLayer(new Rng(1));
    sum(model.forward(Tensor.full([2, 3], 0.5))).backward();
    model.zeroGrad();
    expect(model.parameters().every((parameter) => parameter.grad!.every((value) => value === 0))).toBe(true);
  });

  test('eval switches children to evaluation mode', () => {
    const model = new TwoLayer(new Rng(1)).eval();
    expect(model.fc1.training).toBe(false);
  });

  test('train switches children back to training mode', () => {
    const model = new TwoLayer(new Rng(1)).eval().train();
    expect(model.fc2.training).toBe(true);
  });

  test('registering a name twice is rejected', () => {
    expect(() => new Scaled().registerAgain('gain')).toThrow(
      'Scaled: the name "gain" is already registered; give each parameter and child module its own name.',
    );
  });

  test('a dotted parameter name is rejected', () => {
    expect(() => new Scaled().registerAgain('a.b')).toThrow('Scaled: invalid parameter or module name "a.b"; use letters, digits and underscores only.');
  });
});

describe('Linear', () => {
  test('Linear weight has PyTorch layout [out, in]', () => {
    expect([...new Linear(3, 5, { rng: new Rng(1) }).weight.shape]).toEqual([5, 3]);
  });

  test('Linear bias starts at zero', () => {
    expect([...new Linear(3, 5, { rng: new Rng(1) }).bias!.data]).toEqual([0, 0, 0, 0, 0]);
  });

  test('Linear without bias has only a weight', () => {
    expect(new Linear(3, 5, { rng: new Rng(1), bias: false }).namedParameters().map(([name]) => name)).toEqual(['weight']);
  });

  test('Linear forward equals the linear op', () => {
    const layer = new Linear(3, 2, { rng: new Rng(2) });
    const x = Tensor.from([1, 2, 3, -1, 0, 1], [2, 3]);
    expect([...layer.forward(x).data]).toEqual([...linear(x, layer.weight, layer.bias).data]);
  });

  test('Linear initialisation is reproducible from the seed', () => {
    const first = new Linear(4, 4, { rng: new Rng(5) });
    const second = new Linear(4, 4, { rng: new Rng(5) });
    expect([...second.weight.data]).toEqual([...first.weight.data]);
  });

  test('Linear rejects a non-integer feature count', () => {
    expect(() => new Linear(2.5, 3, { rng: new Rng(1) })).toThrow('Linear: inFeatures must be a positive integer, got 2.5.');
  });

  test('Linear rejects zero output features', () => {
    expect(() => new Linear(2, 0, { rng: new Rng(1) })).toThrow('Linear: outFeatures must be a positive integer, got 0.');
  });

  test('Linear rejects an unknown init', () => {
    expect(() => new Linear(2, 3, { rng: new Rng(1), init: 'orthogonal' as never })).toThrow(
      'Linear: unknown init "orthogonal"; use one of heNormal, heUniform, xavierUniform, xavierNormal.',
    );
  });
});

describe('initialisers', () => {
  const shape = [200, 100];

  test('heNormal has standard deviation √(2 / fanIn)', () => {
    const { std } = statistics(heNormal(shape, 100, new Rng(1)).data);
    expect(Math.abs(std - Math.sqrt(2 / 100))).toBeLessThan(0.005);
  });

  test('heNormal has mean near zero', () => {
    expect(Math.abs(statistics(heNormal(shape, 100, new Rng(1)).data).mean)).toBeLessThan(0.005);
  });

  test('heUniform stays within √(6 / fanIn)', () => {
    const { maxAbs } = statistics(heUniform(shape, 100, new Rng(2)).data);
    expect(maxAbs).toBeLessThanOrEqual(Math.sqrt(6 / 100));
  });

  test('heUniform has the uniform standard deviation', () => {
    const { std } = statistics(heUniform(shape, 100, new Rng(2)).data);
    expect(Math.abs(std - Math.sqrt(2 / 100))).toBeLessThan(0.005);
  });

  test('xavierUniform stays within √(6 / (fanIn + fanOut))', () => {
    const { maxAbs } = statistics(xavierUniform(shape, 100, 200, new Rng(3)).data);
    expect(maxAbs).toBeLessThanOrEqual(Math.sqrt(6 / 300));
  });

  test('xavierNormal has standard deviation √(2 / (fanIn + fanOut))', () => {
    const { std } = statistics(xavierNormal(shape, 100, 200, new Rng(4)).data);
    expect(Math.abs(std - Math.sqrt(2 / 300))).toBeLessThan(0.003);
  });

  test('initialisers return leaves that require gradients', () => {
    const tensors = [heNormal([2], 1, new Rng(1)), heUniform([2], 1, new Rng(1)), xavierUniform([2], 1, 1, new Rng(1)), xavierNormal([2], 1, 1, new Rng(1)), zeros([2])];
    expect(tensors.map((tensor) => tensor.requiresGrad)).toEqual([true, true, true, true, true]);
  });

  test('heNormal rejects a zero fanIn', () => {
    expect(() => heNormal([2], 0, new Rng(1))).toThrow('heNormal: fanIn must be a positive integer, got 0.');
  });

  test('xavierUniform rejects a fractional fanOut', () => {
    expect(() => xavierUniform([2], 2, 1.5, new Rng(1))).toThrow('xavierUniform: fanOut must be a positive integer, got 1.5.');
  });
});
