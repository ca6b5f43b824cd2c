/** Models, batches and optimizers shared by the plan tests: the MNIST MLP graph and a one-block language model. */

import type { GraphEdge, GraphNode, ParamValue, ProjectGraph } from '../../src/shared/project';
import type { DatasetShapes } from '../../src/engine/graph/types';
import type { MlpBatch } from '../../src/engine/parallel/mlpWorkload';
import type { TokenBatch, TransformerWorkloadConfig } from '../../src/engine/parallel/transformerWorkload';
import { loadDataset } from '../../src/main/data/loadDataset';
import { SGD } from '../../src/engine/optim/sgd';
import { Rng } from '../../src/engine/tensor/random';
import type { Tensor } from '../../src/engine/tensor/tensor';

export const MNIST_SHAPES: DatasetShapes = { featureShape: [784], classCount: 10 };

export function node(id: string, type: string, params: Record<string, ParamValue> = {}): GraphNode {
  return { id, type, position: { x: 0, y: 0 }, params };
}

export function edge(source: string, sourcePort: string, target: string, targetPort: string): GraphEdge {
  return { id: `${source}.${sourcePort}->${target}.${targetPort}`, source, sourcePort, target, targetPort };
}

/** input → fc1 (128) → relu1 → fc2 (64) → relu2 → fc3 (10) → loss: the MNIST MLP. */
export function mnistMlpGraph(): ProjectGraph {
  return {
    nodes: [
      node('input', 'Input'),
      node('fc1', 'Dense', { units: 128 }),
      node('relu1', 'ReLU'),
      node('fc2', 'Dense', { units: 64 }),
      node('relu2', 'ReLU'),
      node('fc3', 'Dense', { units: 10 }),
      node('loss', 'Loss', { kind: 'cross-entropy' }),
    ],
    edges: [
      edge('input', 'features', 'fc1', 'input'),
      edge('fc1', 'output', 'relu1', 'input'),
      edge('relu1', 'output', 'fc2', 'input'),
      edge('fc2', 'output', 'relu2', 'input'),
      edge('relu2', 'output', 'fc3', 'input'),
      edge('fc3', 'output', 'loss', 'prediction'),
      edge('input', 'labels', 'loss', 'target'),
    ],
  };
}

/** input → hidden (32) → tanh → logits (10) → softmax → loss of `lossKind`: a graph that ends in a Softmax. */
export function softmaxGraph(lossKind: 'cross-entropy' | 'mse'): ProjectGraph {
  return {
    nodes: [
      node('input', 'Input'),
      node('hidden', 'Dense', { units: 32, init: 'xavier' }),
      node('tanh', 'Tanh'),
      node('logits', 'Dense', { units: 10, init: 'xavier' }),
      node('softmax', 'Softmax'),
      node('loss', 'Loss', { kind: lossKind }),
    ],
    edges: [
      edge('input', 'features', 'hidden', 'input'),
      edge('hidden', 'output', 'tanh', 'input'),
      edge('tanh', 'output', 'logits', 'input'),
      edge('logits', 'output', 'softmax', 'input'),
      edge('softmax', 'output', 'loss', 'prediction'),
      edge('input', 'labels', 'loss', 'target'),
    ],
  };
}

/** The MNIST MLP with a second Dense layer fed by the Input, which breaks the chain. */
export function branchingGraph(): ProjectGraph {
  const graph = mnistMlpGraph();
  graph.nodes.push(node('side', 'Dense', { units: 8 }));
  graph.edges.push(edge('input', 'features', 'side', 'input'));
  return graph;
}

/** Returns `count` batches of `batchSize` MNIST-shaped samples: pixels in [0, 1) and labels in [0, 10). */
export function randomMnistBatches(seed: number, count: number, batchSize: number): MlpBatch[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => ({
    features: Float32Array.from({ length: batchSize * 784 }, () => rng.next()),
    labels: Int32Array.from({ length: batchSize }, () => rng.int(10)),
  }));
}

export const TINY_TRANSFORMER: TransformerWorkloadConfig = {
  vocabularySize: 13,
  contextLength: 8,
  modelWidth: 16,
  headCount: 4,
  layerCount: 1,
  feedForwardWidth: 32,
};

/**
 * Returns `count` batches of `batchSize` windows of `length` tokens that count up
 * from a random start (modulo the vocabulary), so the next token is learnable.
 */
export function countingTokenBatches(seed: number, count: number, batchSize: number, length: number): TokenBatch[] {
  const rng = new Rng(seed);
  const vocabularySize = TINY_TRANSFORMER.vocabularySize;
  return Array.from({ length: count }, () => {
    const inputs = new Int32Array(batchSize * length);
    const targets = new Int32Array(batchSize * length);
    for (let row = 0; row < batchSize; row++) {
      const start = rng.int(vocabularySize);
      for (let position = 0; position < length; position++) {
        inputs[row * length + position] = (start + position) % vocabularySize;
        targets[row * length + position] = (start + position + 1) % vocabularySize;
      }
    }
    return { inputs, targets, batchSize, sequenceLength: length };
  });
}

export function momentumSgd(parameters: Map<string, Tensor>): SGD {
  return new SGD(parameters, { learningRate: 0.05, momentum: 0.9 });
}

/** Returns `count` consecutive batches of `batchSize` real MNIST training digits (shuffled with `seed`). */
export function mnistBatches(seed: number, count: number, batchSize: number): MlpBatch[] {
  const dataset = loadDataset({ id: 'mnist', trainLimit: count * batchSize }, seed);
  return Array.from({ length: count }, (_, index) => ({
    features: dataset.train.features.slice(index * batchSize * 784, (index + 1) * batchSize * 784),
    labels: dataset.train.labels.slice(index * batchSize, (index + 1) * batchSize),
  }));
}
