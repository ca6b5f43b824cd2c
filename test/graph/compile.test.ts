import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileGraph, GraphValidationError } from '../../src/engine/graph/compile';
import { datasetShapes } from '../../src/engine/data/catalog';
import { makeBatches } from '../../src/engine/data/batches';
import { Adam } from '../../src/engine/optim/adam';
import { Rng } from '../../src/engine/tensor/random';
import { noGrad, Tensor } from '../../src/engine/tensor/tensor';
import { loadDataset } from '../../src/main/data/loadDataset';
import type { ProjectFile } from '../../src/shared/project';
import { edge, mlpGraph, MNIST_SHAPES, node, POINT_SHAPES } from './fixtures';

function readExample(name: string): ProjectFile {
  return JSON.parse(readFileSync(new URL(`../../resources/examples/${name}.json`, import.meta.url), 'utf8')) as ProjectFile;
}

function randomFeatures(rows: number, columns: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return Tensor.from(Array.from({ length: rows * columns }, () => rng.next()), [rows, columns]);
}

function accuracy(prediction: Tensor, labels: Int32Array): number {
  const classes = prediction.shape[1];
  let correct = 0;
  for (let row = 0; row < labels.length; row++) {
    const scores = prediction.data.subarray(row * classes, (row + 1) * classes);
    if (scores.indexOf(Math.max(...scores)) === labels[row]) correct += 1;
  }
  return correct / labels.length;
}

describe('compileGraph on the MNIST example', () => {
  const example = readExample('mnist-mlp');
  const model = compileGraph(example.graph, datasetShapes('mnist'), new Rng(42));

  it('names parameters by node id', () => {
    expect([...model.parameters.keys()]).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight', 'fc3.bias', 'fc3.weight']);
  });

  it('shapes weights as [units, inputs]', () => {
    expect(model.parameters.get('fc1.weight')!.shape).toEqual([128, 784]);
    expect(model.parameters.get('fc2.weight')!.shape).toEqual([64, 128]);
    expect(model.parameters.get('fc3.weight')!.shape).toEqual([10, 64]);
    expect(model.parameters.get('fc3.bias')!.shape).toEqual([10]);
  });

  it('marks parameters as trainable', () => {
    for (const tensor of model.parameters.values()) expect(tensor.requiresGrad).toBe(true);
  });

  it('finds the input, loss and prediction nodes', () => {
    expect(model.inputNodeId).toBe('input');
    expect(model.lossNodeId).toBe('loss');
    expect(model.predictionNodeId).toBe('fc3');
  });

  it('returns a scalar loss near ln 10 before training', () => {
    const labels = Int32Array.from({ length: 8 }, (_, i) => i);
    const { loss } = model.forward(randomFeatures(8, 784, 1), labels, 'eval');
    expect(loss.shape).toEqual([]);
    expect(Math.abs(loss.item() - Math.log(10))).toBeLessThan(1.5);
  });

  it('returns each node output for activation views', () => {
    const { outputs, prediction } = model.forward(randomFeatures(3, 784, 1), new Int32Array(3), 'eval');
    expect([...outputs.keys()].sort()).toEqual(['fc1', 'fc2', 'fc3', 'input', 'loss', 'relu1', 'relu2']);
    expect(outputs.get('input')!.shape).toEqual([3, 784]);
    expect(outputs.get('relu1')!.shape).toEqual([3, 128]);
    expect(prediction.shape).toEqual([3, 10]);
    expect(outputs.get('fc3')).toBe(prediction);
  });

  it('predicts what forward predicts, without recording ops', () => {
    const features = randomFeatures(4, 784, 2);
    const predicted = model.predict(features);
    expect(predicted.requiresGrad).toBe(false);
    expect(Array.from(predicted.data)).toEqual(Array.from(model.forward(features, new Int32Array(4), 'eval').prediction.data));
  });

  it('accepts 28x28 images as features', () => {
    const images = randomFeatures(2, 784, 3);
    const asImages = new Tensor(images.data, [2, 28, 28]);
    expect(Array.from(model.predict(asImages).data)).toEqual(Array.from(model.predict(images).data));
  });

  it('rejects features of the wrong width', () => {
    expect(() => model.predict(randomFeatures(2, 100, 1))).toThrow(
      'The model expects features of shape [B, 784] but got [2, 100]. Pass one row per sample.',
    );
  });

  it('rejects a label count that differs from the batch', () => {
    expect(() => model.forward(randomFeatures(2, 784, 1), new Int32Array(3), 'train')).toThrow(
      'The batch has 2 samples but 3 labels. Pass one label per sample.',
    );
  });

  it('rejects a label outside the classes', () => {
    expect(() => model.forward(randomFeatures(1, 784, 1), Int32Array.of(10), 'train')).toThrow(
      "Label 10 is outside the dataset's classes 0 to 9.",
    );
  });

  it('lowers the loss in a few Adam steps on real digits', () => {
    const dataset = loadDataset({ id: 'mnist', trainLimit: 256 }, 42);
    const trained = compileGraph(example.graph, datasetShapes('mnist'), new Rng(42));
    const optimizer = new Adam(trained.parameters, { learningRate: 0.001 });
    const [batch] = makeBatches(dataset.train, 256, null);

    const lossBefore = noGrad(() => trained.forward(batch.features, batch.labels, 'eval').loss.item());
    for (let step = 0; step < 10; step++) {
      optimizer.zeroGrad();
      trained.forward(batch.features, batch.labels, 'train').loss.backward();
      optimizer.step();
    }
    const lossAfter = noGrad(() => trained.forward(batch.features, batch.labels, 'eval').loss.item());

    expect(lossAfter).toBeLessThan(lossBefore * 0.7);
  });
});

describe('compileGraph initialisation', () => {
  it('gives the same weights for the same seed', () => {
    const first = compileGraph(mlpGraph(), MNIST_SHAPES, new Rng(5));
    const second = compileGraph(mlpGraph(), MNIST_SHAPES, new Rng(5));
    expect(Array.from(second.parameters.get('fc1.weight')!.data)).toEqual(Array.from(first.parameters.get('fc1.weight')!.data));
  });

  it('gives different weights for another seed', () => {
    const first = compileGraph(mlpGraph(), MNIST_SHAPES, new Rng(5));
    const second = compileGraph(mlpGraph(), MNIST_SHAPES, new Rng(6));
    expect(Array.from(second.parameters.get('fc1.weight')!.data)).not.toEqual(Array.from(first.parameters.get('fc1.weight')!.data));
  });

  it('does not depend on node order in the file', () => {
    const reversed = mlpGraph();
    reversed.nodes.reverse();
    const first = compileGraph(mlpGraph(), MNIST_SHAPES, new Rng(5));
    const second = compileGraph(reversed, MNIST_SHAPES, new Rng(5));
    expect(Array.from(second.parameters.get('fc2.weight')!.data)).toEqual(Array.from(first.parameters.get('fc2.weight')!.data));
  });

  it('starts biases at zero', () => {
    const model = compileGraph(mlpGraph(), MNIST_SHAPES, new Rng(5));
    expect(model.parameters.get('fc1.bias')!.data.every((value) => value === 0)).toBe(true);
  });

  it('leaves out the bias when it is off', () => {
    const graph = mlpGraph();
    graph.nodes[1].params.bias = false;
    const model = compileGraph(graph, MNIST_SHAPES, new Rng(5));
    expect(model.parameters.has('fc1.bias')).toBe(false);
    expect(model.parameters.has('fc1.weight')).toBe(true);
  });

  it('keeps Xavier weights within their bound', () => {
    const graph = mlpGraph(16, 10);
    graph.nodes[1].params.init = 'xavier';
    const weight = compileGraph(graph, MNIST_SHAPES, new Rng(5)).parameters.get('fc1.weight')!;
    const bound = Math.sqrt(6 / (784 + 16));
    expect(Math.max(...weight.data.map(Math.abs))).toBeLessThanOrEqual(bound);
  });
});

describe('compileGraph on an invalid graph', () => {
  it('throws an error listing every issue', () => {
    const graph = mlpGraph(16, 7);
    graph.nodes[1].params.units = 0;
    let error: unknown;
    try {
      compileGraph(graph, MNIST_SHAPES, new Rng(1));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GraphValidationError);
    expect((error as GraphValidationError).issues).toHaveLength(1);
    expect((error as Error).message).toContain('Fix these 1 issue(s):\n- Dense node "fc1", parameter units');
  });
});

describe('Loss node', () => {
  /** mlpGraph with a Softmax between fc2 and the loss. */
  function softmaxGraph(kind: string) {
    const graph = mlpGraph(8, 2);
    graph.nodes.push(node('softmax', 'Softmax'));
    graph.nodes[4].params.kind = kind;
    graph.edges = graph.edges.filter((e) => e.targetPort !== 'prediction');
    graph.edges.push(edge('fc2', 'output', 'softmax', 'input'), edge('softmax', 'output', 'loss', 'prediction'));
    return graph;
  }

  const features = randomFeatures(6, 2, 9);
  const labels = Int32Array.of(0, 1, 1, 0, 1, 0);

  it('cross-entropy after a Softmax uses the logits', () => {
    const plain = compileGraph(mlpGraph(8, 2), POINT_SHAPES, new Rng(3)).forward(features, labels, 'eval');
    const viaSoftmax = compileGraph(softmaxGraph('cross-entropy'), POINT_SHAPES, new Rng(3)).forward(features, labels, 'eval');
    expect(viaSoftmax.loss.item()).toBeCloseTo(plain.loss.item(), 6);
  });

  it('cross-entropy after a Softmax stays finite for huge logits', () => {
    const model = compileGraph(softmaxGraph('cross-entropy'), POINT_SHAPES, new Rng(3));
    const weight = model.parameters.get('fc2.weight')!;
    for (let i = 0; i < weight.data.length; i++) weight.data[i] *= 1e4;
    expect(Number.isFinite(model.forward(features, labels, 'eval').loss.item())).toBe(true);
  });

  it('reports the Softmax probabilities as the prediction', () => {
    const { prediction } = compileGraph(softmaxGraph('cross-entropy'), POINT_SHAPES, new Rng(3)).forward(features, labels, 'eval');
    expect(prediction.data[0] + prediction.data[1]).toBeCloseTo(1, 6);
  });

  it('mean squared error compares with one-hot labels', () => {
    const model = compileGraph(softmaxGraph('mse'), POINT_SHAPES, new Rng(3));
    const { loss, prediction } = model.forward(features, labels, 'eval');
    let expected = 0;
    for (let row = 0; row < labels.length; row++) {
      for (let column = 0; column < 2; column++) {
        const target = labels[row] === column ? 1 : 0;
        expected += (prediction.data[row * 2 + column] - target) ** 2;
      }
    }
    expect(loss.item()).toBeCloseTo(expected / (labels.length * 2), 6);
  });

  it('backpropagates into the weights', () => {
    const model = compileGraph(softmaxGraph('cross-entropy'), POINT_SHAPES, new Rng(3));
    model.forward(features, labels, 'train').loss.backward();
    expect(model.parameters.get('fc1.weight')!.grad).not.toBeNull();
  });
});

describe.each([
  { name: 'xor-mlp', minAccuracy: 0.9 },
  { name: 'circles-mlp', minAccuracy: 0.9 },
  { name: 'spirals-mlp', minAccuracy: 0.85 },
])('example $name', ({ name, minAccuracy }) => {
  it(`reaches ${minAccuracy * 100}% test accuracy within its epochs`, () => {
    const example = readExample(name);
    const { training } = example;
    const dataset = loadDataset(example.dataset, training.seed);
    const rng = new Rng(training.seed);
    const model = compileGraph(example.graph, datasetShapes(example.dataset.id), rng);
    const optimizer = new Adam(model.parameters, { learningRate: training.learningRate });

    const startMs = performance.now();
    for (let epoch = 0; epoch < training.epochs; epoch++) {
      for (const batch of makeBatches(dataset.train, training.batchSize, rng)) {
        optimizer.zeroGrad();
        model.forward(batch.features, batch.labels, 'train').loss.backward();
        optimizer.step();
      }
    }
    const durationMs = performance.now() - startMs;

    const [test] = makeBatches(dataset.test, dataset.test.count, null);
    const testAccuracy = accuracy(model.predict(test.features), test.labels);
    console.log(`${name}: ${training.epochs} epochs in ${durationMs.toFixed(0)} ms, test accuracy ${testAccuracy.toFixed(3)}`);
    expect(testAccuracy).toBeGreaterThan(minAccuracy);
  });
});
