/** The asynchronous backward pass: same gradients as backward(), awaited collectives inside it, and a clear error from the synchronous path. */

import { describe, expect, it } from 'vitest';
import { add } from '../../src/engine/ops/add';
import { linear } from '../../src/engine/ops/linear';
import { mean } from '../../src/engine/ops/mean';
import { relu } from '../../src/engine/ops/relu';
import { copyToTensorRegion } from '../../src/engine/parallel/commOps';
import { createGroup } from '../../src/engine/parallel/group';
import { StepRecorder } from '../../src/engine/parallel/stepRecorder';
import { Tensor } from '../../src/engine/tensor/tensor';
import { randomValues, runOnMemoryMesh } from './helpers';

function smallNetwork(): { x: Tensor; weight: Tensor; bias: Tensor; loss: Tensor } {
  const x = new Tensor(randomValues(1, 12), [3, 4], { requiresGrad: true });
  const weight = new Tensor(randomValues(2, 20), [5, 4], { requiresGrad: true });
  const bias = new Tensor(randomValues(3, 5), [5], { requiresGrad: true });
  const hidden = relu(linear(x, weight, bias)); // [3, 5]
  const loss = mean(add(hidden, hidden)); // []
  return { x, weight, bias, loss };
}

describe('Tensor.backwardAsync', () => {
  it('matches backward on a synchronous graph', async () => {
    const sync = smallNetwork();
    sync.loss.backward();
    const awaited = smallNetwork();
    await awaited.loss.backwardAsync();

    expect(Array.from(awaited.x.grad!)).toEqual(Array.from(sync.x.grad!));
    expect(Array.from(awaited.weight.grad!)).toEqual(Array.from(sync.weight.grad!));
    expect(Array.from(awaited.bias.grad!)).toEqual(Array.from(sync.bias.grad!));
  });

  it('rejects a tensor that needs no gradient', async () => {
    await expect(Tensor.scalar(1).backwardAsync()).rejects.toThrow(/does not require gradients/);
  });

  it('runs a collective inside the backward pass', async () => {
    const gradients = await runOnMemoryMesh(2, async (transport) => {
      const context = { group: createGroup(transport, [0, 1]), recorder: new StepRecorder() };
      const x = new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true });
      const copied = copyToTensorRegion(x, context);
      // Rank r scales by r + 1, so the summed gradient is 1 + 2 = 3 per element.
      const loss = mean(new Tensor(copied.data.map((value) => value * (transport.rank + 1)), [2], {
        parents: [copied],
        backwardFn: () => copied.accumulateGrad(Float32Array.of(transport.rank + 1, transport.rank + 1)),
      }));
      await loss.backwardAsync(Float32Array.of(2));
      return Array.from(x.grad!);
    });

    expect(gradients[0]).toEqual([3, 3]);
    expect(gradients[1]).toEqual([3, 3]);
  });

  it('backward rejects a graph with a collective', async () => {
    await runOnMemoryMesh(2, async (transport) => {
      const context = { group: createGroup(transport, [0, 1]), recorder: new StepRecorder() };
      const x = new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true });
      const loss = mean(copyToTensorRegion(x, context));
      expect(() => loss.backward()).toThrow(/op copyToTensorRegion waits on other devices.*call backwardAsync\(\)/);
    });
  });
});
