import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { datasetShapes } from '../../src/engine/data/catalog';
import { compileGraph, GraphValidationError } from '../../src/engine/graph/compile';
import { createDefaultRegistry } from '../../src/engine/graph/nodes/index';
import type { DatasetShapes, NodeTypeSpec } from '../../src/engine/graph/types';
import { exportOnnx } from '../../src/engine/io/onnx/index';
import { NODE_EXPORTERS } from '../../src/engine/io/onnx/exporters';
import { Rng } from '../../src/engine/tensor/random';
import { Tensor } from '../../src/engine/tensor/tensor';
import { DEFAULT_TRAINING, PROJECT_FORMAT, PROJECT_VERSION, type ProjectFile, type ProjectGraph } from '../../src/shared/project';
import { edge, node } from '../graph/fixtures';
import { expectExportMatchesEngine, seededModel } from '../fixtures/onnx/compare';
import { expectClose, randomFeatures, runOnnx, summarizeModel } from '../fixtures/onnx/runtime';

const examplesFolder = new URL('../../resources/examples/', import.meta.url);
const exampleNames = readdirSync(examplesFolder).filter((name) => name.endsWith('.json')).sort();

function loadExample(name: string): ProjectFile {
  return JSON.parse(readFileSync(new URL(name, examplesFolder), 'utf8')) as ProjectFile;
}

/**
 * Returns the dataset shapes of an example. A text dataset's vocabulary size
 * depends on its loaded text, so a language model gets 256 (the byte
 * tokenizer's) in place of it: any size exercises the same export.
 */
function exampleShapes(project: ProjectFile): DatasetShapes {
  const shapes = datasetShapes(project.dataset.id);
  return shapes.task === 'language-model' ? datasetShapes(project.dataset.id, 256) : shapes;
}

function projectOf(graph: ProjectGraph, datasetId: ProjectFile['dataset']['id'] = 'xor'): ProjectFile {
  return {
    format: PROJECT_FORMAT,
    version: PROJECT_VERSION,
    name: 'ONNX test',
    graph,
    dataset: { id: datasetId },
    training: DEFAULT_TRAINING,
  };
}

/** input → body nodes in a chain → loss, for graphs of one node type at a time. */
function chainGraph(body: ReturnType<typeof node>[]): ProjectGraph {
  const nodes = [node('input', 'Input'), ...body, node('loss', 'Loss')];
  const edges = [];
  for (let i = 0; i + 1 < nodes.length - 1; i++) {
    edges.push(edge(nodes[i].id, i === 0 ? 'features' : 'output', nodes[i + 1].id, 'input'));
  }
  edges.push(edge(body[body.length - 1].id, 'output', 'loss', 'prediction'));
  edges.push(edge('input', 'labels', 'loss', 'target'));
  return { nodes, edges };
}

describe('ONNX exporter coverage', () => {
  // Loss is training-only and plan-only nodes (device mesh, tensor-parallel group) compute nothing.
  test('every computing node type has an exporter', () => {
    const missing = createDefaultRegistry()
      .list()
      .filter((spec) => spec.category !== 'loss' && spec.planOnly !== true && !NODE_EXPORTERS.has(spec.type))
      .map((spec) => spec.type);
    expect(missing).toEqual([]);
  });
});

describe('ONNX export of the example projects', () => {
  test.each(exampleNames)('%s matches the engine in onnxruntime', async (name) => {
    const project = loadExample(name);
    await expectExportMatchesEngine(project, exampleShapes(project), project.training.seed);
  });
});

describe('ONNX export of each MLP node type', () => {
  const shapes: DatasetShapes = { featureShape: [5], classCount: 4 };
  const cases: [string, ReturnType<typeof node>[]][] = [
    ['Dense with bias', [node('fc', 'Dense', { units: 4 })]],
    ['Dense without bias', [node('fc', 'Dense', { units: 4, bias: false })]],
    ['ReLU', [node('fc1', 'Dense', { units: 6 }), node('act', 'ReLU'), node('fc2', 'Dense', { units: 4 })]],
    ['Sigmoid', [node('fc1', 'Dense', { units: 6 }), node('act', 'Sigmoid'), node('fc2', 'Dense', { units: 4 })]],
    ['Tanh', [node('fc1', 'Dense', { units: 6, init: 'xavier' }), node('act', 'Tanh'), node('fc2', 'Dense', { units: 4 })]],
    ['Softmax as prediction', [node('fc', 'Dense', { units: 4 }), node('probs', 'Softmax')]],
    ['Sigmoid as prediction', [node('fc', 'Dense', { units: 4 }), node('act', 'Sigmoid')]],
  ];
  test.each(cases)('%s matches the engine', async (_label, body) => {
    await expectExportMatchesEngine(projectOf(chainGraph(body)), shapes, 11);
  });

  test('image-shaped features are flattened like the Input node', async () => {
    const imageShapes: DatasetShapes = { featureShape: [2, 3, 2], classCount: 3 };
    await expectExportMatchesEngine(projectOf(chainGraph([node('fc', 'Dense', { units: 3 })])), imageShapes, 5);
  });

  test('nodes off the prediction path are left out', async () => {
    const graph = chainGraph([node('fc', 'Dense', { units: 4 })]);
    graph.nodes.push(node('side', 'Dense', { units: 3 }));
    graph.edges.push(edge('input', 'features', 'side', 'input'));
    const project = projectOf(graph);
    const model = seededModel(project, shapes, 3);

    const summary = summarizeModel(exportOnnx(project, model.parameters, { dataset: shapes }));

    expect(summary.initializers.map((tensor) => tensor.name)).toEqual(['fc.weight', 'fc.bias']);
    expect(summary.nodes.some((entry) => entry.name === 'side')).toBe(false);
  });
});

describe('ONNX model contents', () => {
  const project = loadExample('mnist-mlp.json');
  const shapes = datasetShapes(project.dataset.id);
  const model = seededModel(project, shapes, 1);
  const summary = summarizeModel(exportOnnx(project, model.parameters, { producerVersion: '0.1.0', graphHash: 'abc123' }));

  test('initializers carry the parameter names and values', () => {
    expect(summary.initializers.map((tensor) => tensor.name).sort()).toEqual([...model.parameters.keys()].sort());
    const weight = summary.initializers.find((tensor) => tensor.name === 'fc1.weight')!;
    const expected = model.parameters.get('fc1.weight')!;
    expect(weight.dims).toEqual([...expected.shape]);
    expect(weight.values).toEqual(expected.data);
  });

  test('main operators carry the node ids', () => {
    const names = summary.nodes.map((entry) => entry.name);
    for (const id of ['fc1', 'relu1', 'fc2']) expect(names).toContain(id);
    const fc1 = summary.nodes.find((entry) => entry.name === 'fc1')!;
    expect(fc1.opType).toBe('Gemm');
    expect(fc1.inputs).toEqual(['input', 'fc1.weight', 'fc1.bias']);
    expect(fc1.attributes).toEqual({ transB: 1 });
  });

  test('loss node is left out', () => {
    expect(summary.nodes.some((entry) => entry.name === 'loss')).toBe(false);
    expect(summary.nodes.map((entry) => entry.opType).sort()).toEqual(['Gemm', 'Gemm', 'Gemm', 'Identity', 'Relu', 'Relu', 'Softmax']);
  });

  test('opset, IR version and producer', () => {
    expect(summary.opsets).toEqual([{ domain: '', version: 17 }]);
    expect(summary.irVersion).toBe(8);
    expect(summary.producerName).toBe('Tensorloom');
    expect(summary.producerVersion).toBe('0.1.0');
  });

  test('metadata names the project, dataset and graph hash', () => {
    expect(summary.metadata['tensorloom.project']).toBe(project.name);
    expect(summary.metadata['tensorloom.dataset']).toBe('mnist');
    expect(summary.metadata['tensorloom.graph_hash']).toBe('abc123');
    expect(summary.metadata['tensorloom.prediction']).toContain('logits');
  });

  test('doc strings come from node descriptions', () => {
    const fc1 = summary.nodes.find((entry) => entry.name === 'fc1')!;
    expect(fc1.docString).toBe(createDefaultRegistry().get('Dense')!.description);
    expect(summary.docString).toContain(project.name);
    expect(summary.outputs[0].docString).toContain('logits');
  });

  test('input and outputs have a dynamic batch dimension', () => {
    expect(summary.inputs.map((value) => value.name)).toEqual(['input']);
    expect(summary.inputs[0].dims).toEqual(['batch', 784]);
    expect(summary.outputs.map((value) => value.name)).toEqual(['prediction', 'probabilities']);
    for (const output of summary.outputs) expect(output.dims).toEqual(['batch', 10]);
  });
});

describe('ONNX export options', () => {
  const project = loadExample('xor-mlp.json');
  const shapes = datasetShapes(project.dataset.id);

  test('fixed batch dimension runs at that size only', async () => {
    const model = seededModel(project, shapes, 4);
    const bytes = exportOnnx(project, model.parameters, { batchDim: 3 });
    expect(summarizeModel(bytes).inputs[0].dims).toEqual([3, 2]);
    expect(summarizeModel(bytes).outputs[0].dims).toEqual([3, 2]);

    const features = randomFeatures(new Rng(9), [3, 2]);
    const outputs = await runOnnx(bytes, { input: { kind: 'float32', data: features.data, dims: features.shape } });
    expectClose(outputs.prediction, model.predict(features), 'prediction at the fixed batch size');

    const wrongBatch = randomFeatures(new Rng(9), [7, 2]);
    await expect(runOnnx(bytes, { input: { kind: 'float32', data: wrongBatch.data, dims: wrongBatch.shape } })).rejects.toThrow();
  });

  // IR versions as onnx.helper.VERSION_TABLE of the onnx Python package 1.23.1 pairs them with opsets.
  const irVersions: [number, number][] = [[18, 8], [19, 9], [20, 9], [21, 10], [22, 10], [23, 11], [24, 12]];
  test.each(irVersions)('opset %i runs in onnxruntime', async (opset, irVersion) => {
    await expectExportMatchesEngine(project, shapes, 6, { opset });
    const model = seededModel(project, shapes, 6);
    const summary = summarizeModel(exportOnnx(project, model.parameters, { opset }));
    expect(summary.opsets).toEqual([{ domain: '', version: opset }]);
    expect(summary.irVersion).toBe(irVersion);
  });

  test.each([16, 25, 17.5])('opset %s is rejected', (opset) => {
    const model = seededModel(project, shapes, 6);
    expect(() => exportOnnx(project, model.parameters, { opset })).toThrow(/opset .* is not supported\. Use an integer from 17 to 24/);
  });

  test.each([0, -2, 1.5])('batchDim %s is rejected', (batchDim) => {
    const model = seededModel(project, shapes, 6);
    expect(() => exportOnnx(project, model.parameters, { batchDim })).toThrow(/batchDim .* is invalid/);
  });
});

describe('ONNX export errors', () => {
  const project = loadExample('xor-mlp.json');
  const shapes = datasetShapes(project.dataset.id);
  const parametersOf = (): Map<string, Tensor | Float32Array> => new Map(seededModel(project, shapes, 2).parameters);

  test('missing parameter names the node and parameter', () => {
    const parameters = parametersOf();
    parameters.delete('fc2.bias');
    expect(() => exportOnnx(project, parameters)).toThrow('ONNX export, Dense node "fc2": the weights have no parameter "fc2.bias" [2].');
  });

  test('tensor of the wrong shape names the node and both shapes', () => {
    const parameters = parametersOf();
    parameters.set('fc1.weight', Tensor.zeros([3, 2]));
    expect(() => exportOnnx(project, parameters)).toThrow(/Dense node "fc1": parameter "fc1.weight" has shape \[3, 2\] but the node needs \[\d+, 2\]/);
  });

  test('Float32Array of the wrong length names the node', () => {
    const parameters = parametersOf();
    parameters.set('fc1.bias', new Float32Array(3));
    expect(() => exportOnnx(project, parameters)).toThrow(/Dense node "fc1": parameter "fc1.bias" has 3 values but the node needs shape/);
  });

  test('value that is no tensor is rejected', () => {
    const parameters = parametersOf() as Map<string, unknown>;
    parameters.set('fc1.bias', [1, 2, 3]);
    expect(() => exportOnnx(project, parameters as Map<string, Tensor>)).toThrow(/parameter "fc1.bias" must be a Float32Array or a tensor with shape and Float32Array data, got Array/);
  });

  test('Float32Array parameters export like tensors', async () => {
    const model = seededModel(project, shapes, 2);
    const arrays = new Map([...model.parameters].map(([name, tensor]) => [name, tensor.data] as const));
    const features = randomFeatures(new Rng(1), [4, 2]);
    const outputs = await runOnnx(exportOnnx(project, arrays), { input: { kind: 'float32', data: features.data, dims: features.shape } });
    expectClose(outputs.prediction, model.predict(features), 'prediction from Float32Array parameters');
  });

  test('NaN weight names the parameter and index', () => {
    const parameters = parametersOf();
    const weight = new Float32Array((parameters.get('fc2.weight') as Tensor).data);
    weight[3] = Number.NaN;
    parameters.set('fc2.weight', weight);
    expect(() => exportOnnx(project, parameters)).toThrow('ONNX export, Dense node "fc2": parameter "fc2.weight" contains NaN at index 3');
  });

  test('record whose data does not fill its shape', () => {
    const parameters = parametersOf() as Map<string, unknown>;
    parameters.set('fc2.bias', { shape: [2], data: new Float32Array(5) });
    expect(() => exportOnnx(project, parameters as Map<string, Tensor>)).toThrow('ONNX export, Dense node "fc2": parameter "fc2.bias" has shape [2] but 5 values.');
  });

  test('shape and data records export like tensors', async () => {
    const model = seededModel(project, shapes, 2);
    const records = new Map([...model.parameters].map(([name, tensor]) => [name, { shape: [...tensor.shape], data: tensor.data }] as const));
    const features = randomFeatures(new Rng(1), [4, 2]);
    const outputs = await runOnnx(exportOnnx(project, records), { input: { kind: 'float32', data: features.data, dims: features.shape } });
    expectClose(outputs.prediction, model.predict(features), 'prediction from shape and data records');
  });

  test('invalid graph throws the validation issues', () => {
    const broken: ProjectFile = { ...project, graph: { ...project.graph, edges: project.graph.edges.slice(1) } };
    expect(() => exportOnnx(broken, parametersOf())).toThrow(GraphValidationError);
  });

  test('node type without an exporter names the node', () => {
    const registry = createDefaultRegistry();
    const square: NodeTypeSpec = { ...registry.get('ReLU')!, type: 'Square' };
    registry.register(square);
    const graph = chainGraph([node('fc', 'Dense', { units: 2 }), node('sq', 'Square')]);
    const squareProject = projectOf(graph);
    const model = compileGraph(graph, shapes, new Rng(1), registry);
    expect(() => exportOnnx(squareProject, model.parameters, { registry })).toThrow(
      'ONNX export, Square node "sq": this node type cannot be exported to ONNX yet.',
    );
  });

  test('node id equal to an output name keeps the outputs intact', async () => {
    const graph = chainGraph([node('prediction', 'Dense', { units: 2 })]);
    await expectExportMatchesEngine(projectOf(graph), shapes, 8);
  });

  test('Input node id equal to an output name is rejected', () => {
    const graph = chainGraph([node('fc', 'Dense', { units: 2 })]);
    const rename = (id: string): string => (id === 'input' ? 'probabilities' : id);
    const renamed: ProjectGraph = {
      nodes: graph.nodes.map((entry) => ({ ...entry, id: rename(entry.id) })),
      edges: graph.edges.map((entry) => ({ ...entry, source: rename(entry.source), target: rename(entry.target) })),
    };
    const renamedProject = projectOf(renamed);
    const model = compileGraph(renamed, shapes, new Rng(1));
    expect(() => exportOnnx(renamedProject, model.parameters)).toThrow(/needs the name "probabilities", but another value of the model already has it/);
  });
});
