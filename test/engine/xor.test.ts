import { describe, expect, test } from 'vitest';
import { noGrad, Tensor } from '../../src/engine/tensor/tensor';
import { Rng } from '../../src/engine/tensor/random';
import { softmaxCrossEntropy } from '../../src/engine/ops/crossentropy';
import { tanh } from '../../src/engine/ops/tanh';
import { Module } from '../../src/engine/nn/module';
import { Linear } from '../../src/engine/nn/linear';
import { Adam } from '../../src/engine/optim/adam';

class XorNet extends Module {
  private readonly fc1: Linear;
  private readonly fc2: Linear;

  constructor(rng: Rng) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(2, 8, { rng, init: 'xavierUniform' }));
    this.fc2 = this.registerModule('fc2', new Linear(8, 2, { rng, init: 'xavierUniform' }));
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(tanh(this.fc1.forward(x))); // [4, 2] -> [4, 8] -> [4, 2]
  }
}

describe('XOR training', () => {
  const inputs = Tensor.from([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]);
  const labels = Int32Array.of(0, 1, 1, 0);

  function train(): { losses: number[]; predictions: number[] } {
    const model = new XorNet(new Rng(3));
    const optimizer = new Adam(model.parameterMap(), { learningRate: 0.05 });
    const losses: number[] = [];
    for (let step = 0; step < 300; step++) {
      optimizer.zeroGrad();
      const loss = softmaxCrossEntropy(model.forward(inputs), labels);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }

    const logits = noGrad(() => model.eval().forward(inputs)).data;
    const predictions = [0, 1, 2, 3].map((row) => (logits[row * 2 + 1] > logits[row * 2] ? 1 : 0));
    return { losses, predictions };
  }

  test('XOR loss falls below a tenth of its start', () => {
    const { losses } = train();
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 10);
  });

  test('XOR network classifies all four points', () => {
    expect(train().predictions).toEqual([0, 1, 1, 0]);
  });
});
