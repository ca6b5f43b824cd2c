import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { datasetShapes } from '../../src/engine/data/catalog';
import { compileGraph, GraphValidationError, type CompiledModel } from '../../src/engine/graph/compile';
import type { DatasetShapes } from '../../src/engine/graph/types';
import { defaultRegistry } from '../../src/engine/graph/nodes/index';
import { NODE_EMITTERS } from '../../src/engine/io/pytorch/emitters';
import { exportPytorch } from '../../src/engine/io/pytorch/index';
import { encodeSafetensors } from '../../src/engine/io/safetensors';
import { Rng } from '../../src/engine/tensor/random';
import { noGrad, Tensor } from '../../src/engine/tensor/tensor';
import type { DatasetId, GraphNode, ProjectFile, ProjectGraph } from '../../src/shared/project';
import { edge, node } from '../graph/fixtures';
import { engineGradients, maxAbsDifference, pythonTorchProblem, runExported, runScriptBeside, type TorchRun } from './pytorchHarness';

const TOLERANCE = 1e-4;
const GRADIENT_TOLERANCE = 1e-4;
const torchProblem = pythonTorchProblem();
if (torchProblem !== null) console.warn(`Skipping the PyTorch export runs: ${torchProblem}. Run node scripts/setup-test-env.js as root to install python3-torch.`);
const withTorch = torchProblem === null ? describe : describe.skip;

function readExample(name: string): ProjectFile {
  return JSON.parse(readFileSync(new URL(`../../resources/examples/${name}.json`, import.meta.url), 'utf8')) as ProjectFile;
}

function project(graph: ProjectGraph, dataset: DatasetId = 'xor', name = 'test graph'): ProjectFile {
  return {
    format: 'tensorloom-project',
    version: 1,
    name,
    graph,
    dataset: { id: dataset },
    training: { epochs: 1, batchSize: 8, learningRate: 0.01, optimizer: 'adam', momentum: 0.9, seed: 3 },
  };
}

function randomBatch(shapes: DatasetShapes, rows: number, seed: number): { features: Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const columns = shapes.featureShape.reduce((product, dim) => product * dim, 1);
  const features = Tensor.from(Array.from({ length: rows * columns }, () => rng.uniform(-2, 2)), [rows, columns]);
  const labels = Int32Array.from({ length: rows }, () => Math.floor(rng.next() * shapes.classCount));
  return { features, labels };
}

interface Comparison {
  model: CompiledModel;
  torch: TorchRun;
  expectedPrediction: Tensor;
  expectedLoss: number;
  expectedGradients: Map<string, Float32Array>;
}

/** Compiles `file` with `seed`, exports it, and runs the engine and PyTorch on the same random batch. */
function compareWithEngine(file: ProjectFile, seed: number, className?: string): Comparison {
  const shapes = datasetShapes(file.dataset.id);
  const model = compileGraph(file.graph, shapes, new Rng(seed));
  const { features, labels } = randomBatch(shapes, 6, seed + 100);
  const expectedPrediction = model.predict(features);
  const expectedLoss = noGrad(() => model.forward(features, labels, 'eval').loss.item());
  const expectedGradients = engineGradients(model, features, labels);
  const source = exportPytorch(file, className === undefined ? {} : { className });
  const targets = new Tensor(Float32Array.from(labels), [labels.length]);
  const torch = runExported(source, model.parameters, { features, targets, className });
  return { model, torch, expectedPrediction, expectedLoss, expectedGradients };
}

function expectMatch({ model, torch, expectedPrediction, expectedLoss, expectedGradients }: Comparison): void {
  expect(torch.prediction.shape).toEqual(expectedPrediction.shape);
  expect(maxAbsDifference(torch.prediction.data, expectedPrediction.data)).toBeLessThan(TOLERANCE);
  expect(Math.abs(torch.loss! - expectedLoss)).toBeLessThan(TOLERANCE);
  expect([...torch.tensorloomKeys].sort()).toEqual([...model.parameters.keys()].sort());
  for (const [name, expected] of expectedGradients) {
    const actual = torch.gradients.get(name);
    expect(actual, `gradient of ${name}`).toBeDefined();
    expect(maxAbsDifference(actual!, expected), `gradient of ${name}`).toBeLessThan(GRADIENT_TOLERANCE);
  }
}

withTorch('exportPytorch on the examples', () => {
  for (const name of ['xor-mlp', 'circles-mlp', 'spirals-mlp', 'mnist-mlp']) {
    it(`${name} matches the engine`, () => {
      expectMatch(compareWithEngine(readExample(name), 7));
    });
  }
});

const ACTIVATIONS = ['ReLU', 'Sigmoid', 'Tanh'] as const;

/** Builds a random chain Input → (Dense → activation?)× → Dense [→ Softmax] → Loss. */
function randomChain(seed: number, classCount: number): ProjectGraph {
  const rng = new Rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng.next() * items.length)];
  const nodes: GraphNode[] = [node('input', 'Input')];
  const edges = [];
  let previous = { id: 'input', port: 'features' };
  const append = (created: GraphNode) => {
    nodes.push(created);
    edges.push(edge(previous.id, previous.port, created.id, 'input'));
    previous = { id: created.id, port: 'output' };
  };

  const hiddenLayers = 1 + Math.floor(rng.next() * 3);
  for (let layer = 1; layer <= hiddenLayers; layer++) {
    append(node(`fc${layer}`, 'Dense', { units: 3 + Math.floor(rng.next() * 6), bias: rng.next() < 0.7, init: pick(['he', 'xavier']) }));
    if (rng.next() < 0.8) append(node(`act${layer}`, pick(ACTIVATIONS)));
  }
  append(node('head', 'Dense', { units: classCount, bias: rng.next() < 0.5 }));
  if (rng.next() < 0.5) append(node('probabilities', 'Softmax'));
  const kind = pick(['cross-entropy', 'mse']);
  nodes.push(node('loss', 'Loss', { kind }));
  edges.push(edge(previous.id, previous.port, 'loss', 'prediction'), edge('input', 'labels', 'loss', 'target'));
  return { nodes, edges };
}

withTorch('exportPytorch on random graphs', () => {
  for (let seed = 1; seed <= 8; seed++) {
    it(`random chain ${seed} matches the engine`, () => {
      const dataset: DatasetId = seed % 2 === 0 ? 'spirals' : 'xor';
      const graph = randomChain(seed, datasetShapes(dataset).classCount);
      expectMatch(compareWithEngine(project(graph, dataset), seed));
    });
  }

  for (const type of ['ReLU', 'Sigmoid', 'Tanh', 'Softmax'] as const) {
    it(`${type} node matches the engine`, () => {
      const graph: ProjectGraph = {
        nodes: [node('input', 'Input'), node('fc1', 'Dense', { units: 5 }), node('act', type), node('fc2', 'Dense', { units: 2, init: 'xavier' }), node('loss', 'Loss')],
        edges: [
          edge('input', 'features', 'fc1', 'input'),
          edge('fc1', 'output', 'act', 'input'),
          edge('act', 'output', 'fc2', 'input'),
          edge('fc2', 'output', 'loss', 'prediction'),
          edge('input', 'labels', 'loss', 'target'),
        ],
      };
      expectMatch(compareWithEngine(project(graph), 11));
    });
  }

  it('softmax before cross-entropy exports logits', () => {
    const graph: ProjectGraph = {
      nodes: [node('input', 'Input'), node('fc1', 'Dense', { units: 2 }), node('soft', 'Softmax'), node('loss', 'Loss')],
      edges: [
        edge('input', 'features', 'fc1', 'input'),
        edge('fc1', 'output', 'soft', 'input'),
        edge('soft', 'output', 'loss', 'prediction'),
        edge('input', 'labels', 'loss', 'target'),
      ],
    };
    const file = project(graph);
    expect(exportPytorch(file)).toContain('def logits(self, features: torch.Tensor)');
    expectMatch(compareWithEngine(file, 5));
  });

  it('dense node outside the prediction path keeps its weights', () => {
    const graph: ProjectGraph = {
      nodes: [node('input', 'Input'), node('fc1', 'Dense', { units: 2 }), node('spare', 'Dense', { units: 4 }), node('loss', 'Loss')],
      edges: [
        edge('input', 'features', 'fc1', 'input'),
        edge('input', 'features', 'spare', 'input'),
        edge('fc1', 'output', 'loss', 'prediction'),
        edge('input', 'labels', 'loss', 'target'),
      ],
    };
    const comparison = compareWithEngine(project(graph), 9);
    expectMatch(comparison);
    expect(comparison.torch.stateKeys).toContain('spare.weight');
  });
});

/** Builds a two-layer MLP whose Dense nodes have the given ids. */
function mlpWithIds(first: string, second: string, activation = 'act'): ProjectGraph {
  return {
    nodes: [node('input', 'Input'), node(first, 'Dense', { units: 4 }), node(activation, 'ReLU'), node(second, 'Dense', { units: 2 }), node('loss', 'Loss')],
    edges: [
      edge('input', 'features', first, 'input', 'e1'),
      edge(first, 'output', activation, 'input', 'e2'),
      edge(activation, 'output', second, 'input', 'e3'),
      edge(second, 'output', 'loss', 'prediction', 'e4'),
      edge('input', 'labels', 'loss', 'target', 'e5'),
    ],
  };
}

withTorch('exportPytorch node ids', () => {
  it('keeps keys of ids that are not identifiers', () => {
    const comparison = compareWithEngine(project(mlpWithIds('dense 1', 'fc-2')), 4);
    expectMatch(comparison);
    expect(comparison.torch.stateKeys).toEqual(['dense 1.weight', 'dense 1.bias', 'fc-2.weight', 'fc-2.bias']);
  });

  it('maps ids that PyTorch rejects as module names', () => {
    const file = project(mlpWithIds('forward', 'a.b'));
    const source = exportPytorch(file);
    expect(source).toContain('"forward.weight": "node_forward.weight"');
    expect(source).toContain('"a.b.bias": "node_a_b.bias"');
    const comparison = compareWithEngine(file, 4);
    expectMatch(comparison);
    expect(comparison.torch.stateKeys).toEqual(['node_forward.weight', 'node_forward.bias', 'node_a_b.weight', 'node_a_b.bias']);
  });

  it('survives ids that try to inject code', () => {
    const hostile = 'x"); import os; os.system("echo owned") #';
    const file = project(mlpWithIds(hostile, 'line\nbreak """ \\', 'class'), 'xor', 'name with """ quotes\nand a newline');
    const comparison = compareWithEngine(file, 6);
    expectMatch(comparison);
    expect(comparison.torch.stateKeys).toContain('line\nbreak """ \\.weight');
    expect(comparison.torch.stdout.split('\n')).not.toContain('owned');
  });

  it('maps an empty id', () => {
    const comparison = compareWithEngine(project(mlpWithIds('', 'fc2')), 10);
    expectMatch(comparison);
    expect(comparison.torch.stateKeys).toContain('node_.weight');
  });

  it('handles keywords, digits and unicode in ids', () => {
    const comparison = compareWithEngine(project(mlpWithIds('class', '2nd层')), 8);
    expectMatch(comparison);
  });
});

describe('exportPytorch input checks', () => {
  it('covers every registered node type', () => {
    const missing = defaultRegistry
      .list()
      .filter((spec) => spec.type !== 'Loss' && spec.planOnly !== true && !NODE_EMITTERS.has(spec.type))
      .map((spec) => spec.type);
    expect(missing, 'node types without a PyTorch form in src/engine/io/pytorch').toEqual([]);
  });

  it('rejects an invalid graph with its issues', () => {
    const graph = mlpWithIds('fc1', 'fc2');
    graph.edges = graph.edges.filter((candidate) => candidate.id !== 'e4');
    expect(() => exportPytorch(project(graph))).toThrow(GraphValidationError);
  });

  it('rejects a class name that is not an identifier', () => {
    expect(() => exportPytorch(project(mlpWithIds('fc1', 'fc2')), { className: 'My Model' })).toThrow(/class name "My Model"/);
    expect(() => exportPytorch(project(mlpWithIds('fc1', 'fc2')), { className: 'torch' })).toThrow(/class name "torch"/);
  });

  it('names the class after the option', () => {
    expect(exportPytorch(project(mlpWithIds('fc1', 'fc2')), { className: 'XorNet' })).toContain('class XorNet(nn.Module):');
  });
});

withTorch('exported safetensors loader', () => {
  const file = project(mlpWithIds('fc1', 'fc2'));
  const source = exportPytorch(file);
  const model = compileGraph(file.graph, datasetShapes('xor'), new Rng(12));
  const weights = encodeSafetensors(model.parameters);

  it('writes the bytes Tensorloom writes', () => {
    const run = runScriptBeside(source, { 'weights.safetensors': weights }, [
      'import model',
      'net = model.TensorloomModel()',
      'model.load_safetensors(net, "weights.safetensors")',
      'model.save_safetensors(net, "saved.safetensors")',
    ].join('\n'));
    expect(run.stderr).toBe('');
    expect(run.folder['saved.safetensors']).toEqual(weights);
  });

  it('reports missing, unexpected and mis-shaped tensors', () => {
    const broken = new Map(model.parameters);
    broken.delete('fc2.bias');
    broken.set('fc3.weight', Tensor.zeros([2, 2]));
    broken.set('fc1.bias', Tensor.zeros([5]));
    const run = runScriptBeside(source, { 'broken.safetensors': encodeSafetensors(broken) }, [
      'import model',
      'net = model.TensorloomModel()',
      'before = net.fc1.bias.clone()',
      'try:',
      '    model.load_safetensors(net, "broken.safetensors")',
      'except ValueError as error:',
      '    print(error)',
      'print("unchanged" if bool((net.fc1.bias == before).all()) else "changed")',
    ].join('\n'));
    expect(run.stdout).toContain("missing tensor 'fc2.bias' [2]");
    expect(run.stdout).toContain("unexpected tensor 'fc3.weight' [2, 2]");
    expect(run.stdout).toContain("tensor 'fc1.bias' is [5] but the model needs [4]");
    expect(run.stdout).toContain('unchanged');
  });

  it('uses the safetensors package when installed', () => {
    // A stand-in package whose load_file records the call and reads with the exported reader.
    const fakePackage = [
      'import sys, types',
      'calls = []',
      'def load_file(path):',
      '    calls.append(path)',
      '    sys.modules["safetensors"] = sys.modules["safetensors.torch"] = None',
      '    try:',
      '        return model.read_safetensors(path)',
      '    finally:',
      '        sys.modules["safetensors"], sys.modules["safetensors.torch"] = package, package.torch',
      'package = types.ModuleType("safetensors")',
      'package.torch = types.ModuleType("safetensors.torch")',
      'package.torch.load_file = load_file',
      'sys.modules["safetensors"] = package',
      'sys.modules["safetensors.torch"] = package.torch',
      'import model',
      'net = model.TensorloomModel()',
      'model.load_safetensors(net, "weights.safetensors")',
      'print(calls)',
    ].join('\n');
    const run = runScriptBeside(source, { 'weights.safetensors': weights }, fakePackage);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe("['weights.safetensors']");
  });

  it('rejects a truncated file by name', () => {
    const run = runScriptBeside(source, { 'short.safetensors': weights.subarray(0, 40) }, [
      'import model',
      'try:',
      '    model.load_safetensors(model.TensorloomModel(), "short.safetensors")',
      'except ValueError as error:',
      '    print(error)',
    ].join('\n'));
    expect(run.stdout).toContain('short.safetensors: the header length');
  });

  it('keeps a hostile project name as data', () => {
    const name = 'evil """\nimport os\nos.system("echo owned")\n"""';
    const hostile = exportPytorch(project(mlpWithIds('fc1', 'fc2'), 'xor', name));
    const run = runScriptBeside(hostile, {}, 'import json, model\nprint(json.dumps(model.PROJECT_NAME))');
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toBe(name);
  });
});

const pythonLintProblem = runScriptBeside('', {}, 'import pycodestyle, pyflakes').status === 0 ? null : 'pycodestyle or pyflakes is missing';
if (torchProblem === null && pythonLintProblem !== null) {
  console.warn(`Skipping the lint of exported files: ${pythonLintProblem}. Install them with: apt-get install -y python3-pycodestyle python3-pyflakes`);
}
const withPythonLint = torchProblem === null && pythonLintProblem === null ? describe : describe.skip;

/** Builds a language model that uses every helper class of the export, with sinusoidal or learned positions. */
function everyLayerGraph(positions: 'sinusoidal' | 'learned'): ProjectGraph {
  const chainIds = ['embed', 'pos', 'block', 'attn', 'ff', 'norm', 'head', 'unembed'];
  return {
    nodes: [
      node('tokens', 'TokenInput', { contextLength: 4 }),
      node('embed', 'Embedding', { width: 8 }),
      node('pos', 'PositionalEncoding', { kind: positions }),
      node('block', 'TransformerBlock', { heads: 2, hiddenWidth: 16, norm: 'rms' }),
      node('attn', 'MultiHeadAttention', { heads: 2 }),
      node('ff', 'FeedForward', { hiddenWidth: 16 }),
      node('norm', 'RMSNorm'),
      node('head', 'AttentionHead', { headSize: 8 }),
      node('unembed', 'Unembedding', { tieTo: 'embed' }),
      node('loss', 'Loss'),
    ],
    edges: [
      edge('tokens', 'tokens', 'embed', 'input'),
      ...chainIds.slice(1).map((id, index) => edge(chainIds[index], 'output', id, 'input')),
      edge('unembed', 'output', 'loss', 'prediction'),
      edge('tokens', 'targets', 'loss', 'target'),
    ],
  };
}

withPythonLint('exported file style', () => {
  const textShapes: DatasetShapes = { featureShape: [], classCount: 5, task: 'language-model', vocabularySize: 5 };
  const textProject = (graph: ProjectGraph): ProjectFile => ({ ...project(graph), dataset: { id: 'brown' } });
  const exports: Array<[string, string]> = [
    ['MLP with a plan', exportPytorch(readExample('mnist-mlp'), { plan: { dataParallel: 1, tensorParallel: 2, sequenceParallel: true, tensorGroup: ['fc1', 'fc2'] } })],
    ['language model with sinusoidal positions', exportPytorch(textProject(everyLayerGraph('sinusoidal')), { dataset: textShapes })],
    ['language model with learned positions', exportPytorch(textProject(everyLayerGraph('learned')), { dataset: textShapes })],
  ];
  const check = [
    'import subprocess, sys',
    'flakes = subprocess.run([sys.executable, "-m", "pyflakes", "model.py"], capture_output=True, text=True)',
    'style = subprocess.run([sys.executable, "-m", "pycodestyle", "--max-line-length=99", "model.py"], capture_output=True, text=True)',
    'print(flakes.stdout + style.stdout, end="")',
  ].join('\n');

  for (const [name, source] of exports) {
    it(`${name} passes pyflakes and pycodestyle`, () => {
      const run = runScriptBeside(source, {}, check);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('');
    });
  }
});
