import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DatasetShapes } from '../../src/engine/graph/types';
import { exportPytorch } from '../../src/engine/io/pytorch/index';
import { ParallelPlanError, type ParallelPlan } from '../../src/engine/parallel/plan';
import type { ProjectFile } from '../../src/shared/project';
import { edge, node } from '../graph/fixtures';
import { datasetShapes } from '../../src/engine/data/catalog';
import { compileGraph } from '../../src/engine/graph/compile';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/io/safetensors';
import { SGD } from '../../src/engine/optim/sgd';
import { Rng } from '../../src/engine/tensor/random';
import { Tensor } from '../../src/engine/tensor/tensor';
import { engineGradients, maxAbsDifference, pythonTorchProblem, runDistributed, runScriptBeside } from './pytorchHarness';

const torchProblem = pythonTorchProblem();
if (torchProblem !== null) console.warn(`Skipping the PyTorch parallel plan runs: ${torchProblem}. Run node scripts/setup-test-env.js as root to install python3-torch.`);
const withTorch = torchProblem === null ? describe : describe.skip;

const TEXT_SHAPES: DatasetShapes = { featureShape: [], classCount: 7, task: 'language-model', vocabularySize: 7 };

function readExample(name: string): ProjectFile {
  return JSON.parse(readFileSync(new URL(`../../resources/examples/${name}.json`, import.meta.url), 'utf8')) as ProjectFile;
}

function plan(overrides: Partial<ParallelPlan>): ParallelPlan {
  return { dataParallel: 1, tensorParallel: 2, sequenceParallel: false, tensorGroup: [], ...overrides };
}

/** Builds a language model with one transformer block of width 8 and context length 4. */
function blockProject(): ProjectFile {
  return {
    format: 'tensorloom-project',
    version: 1,
    name: 'block',
    dataset: { id: 'brown' },
    training: { epochs: 1, batchSize: 4, learningRate: 0.01, optimizer: 'adamw', momentum: 0.9, seed: 1 },
    graph: {
      nodes: [
        node('tokens', 'TokenInput', { contextLength: 4 }),
        node('embed', 'Embedding', { width: 8 }),
        node('block1', 'TransformerBlock', { heads: 2, hiddenWidth: 16 }),
        node('ln_f', 'LayerNorm'),
        node('head', 'Unembedding'),
        node('loss', 'Loss'),
      ],
      edges: [
        edge('tokens', 'tokens', 'embed', 'input'),
        edge('embed', 'output', 'block1', 'input'),
        edge('block1', 'output', 'ln_f', 'input'),
        edge('ln_f', 'output', 'head', 'input'),
        edge('head', 'output', 'loss', 'prediction'),
        edge('tokens', 'targets', 'loss', 'target'),
      ],
    },
  };
}

/**
 * Python that replaces torch.distributed.tensor.parallel, device_mesh and the
 * placements, which PyTorch 1.13 lacks, with recording fakes. It then imports the
 * export, calls its plan functions and prints each entry with the submodule it names.
 */
const STUB_SCRIPT = String.raw`
import json
import sys
import types

import torch


class Style:
    def __init__(self, **options):
        self.options = options


parallel = types.ModuleType("torch.distributed.tensor.parallel")
for name in ("ColwiseParallel", "RowwiseParallel", "SequenceParallel"):
    setattr(parallel, name, type(name, (Style,), {}))
calls = []
parallel.parallelize_module = lambda module, mesh, plan: calls.append({"mesh": mesh, "keys": sorted(plan)}) or module

tensor = types.ModuleType("torch.distributed.tensor")
tensor.Shard = lambda dim: "Shard(%d)" % dim
tensor.Replicate = lambda: "Replicate()"
tensor.parallel = parallel


class Mesh:
    def __init__(self, device_type, shape, mesh_dim_names):
        self.description = {"device": device_type, "shape": list(shape), "names": list(mesh_dim_names)}

    def __getitem__(self, name):
        return "mesh[%s]" % name


device_mesh = types.ModuleType("torch.distributed.device_mesh")
device_mesh.init_device_mesh = lambda device_type, shape, mesh_dim_names: Mesh(device_type, shape, mesh_dim_names)
sys.modules.update({
    "torch.distributed.tensor": tensor,
    "torch.distributed.tensor.parallel": parallel,
    "torch.distributed.device_mesh": device_mesh,
})

import model

net = model.TensorloomModel()
entries = {}
for key, style in model.tensor_parallel_plan().items():
    entries[key] = {
        "style": type(style).__name__,
        "options": {name: str(value) for name, value in style.options.items()},
        "module": type(net.get_submodule(key)).__name__,
    }
model.parallelize(net)
print(json.dumps({"entries": entries, "calls": calls, "mesh": model.make_device_mesh().description}))
`;

interface StubRun {
  entries: Record<string, { style: string; options: Record<string, string>; module: string }>;
  calls: Array<{ mesh: string; keys: string[] }>;
  mesh: { device: string; shape: number[]; names: string[] };
}

function runPlan(source: string): StubRun {
  const run = runScriptBeside(source, {}, STUB_SCRIPT);
  if (run.status !== 0) throw new Error(`The plan script failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as StubRun;
}

describe('exportPytorch parallel plan text', () => {
  it('lists Megatron pairs by submodule', () => {
    const source = exportPytorch(readExample('mnist-mlp'), { plan: plan({ tensorGroup: ['fc1', 'fc2'] }) });
    expect(source).toContain('"fc1": ColwiseParallel(),');
    expect(source).toContain('"fc2": RowwiseParallel(),');
    expect(source).not.toContain('"fc3": ');
    expect(source).toContain('Needs PyTorch 2.2 or newer');
  });

  it('leaves the functions out without tensor parallelism', () => {
    const source = exportPytorch(readExample('mnist-mlp'), { plan: plan({ tensorParallel: 1, dataParallel: 2 }) });
    expect(source).not.toContain('def tensor_parallel_plan');
  });

  it('rejects a plan that does not fit', () => {
    expect(() => exportPytorch(readExample('mnist-mlp'), { plan: plan({ tensorGroup: ['fc9'] }) })).toThrow(ParallelPlanError);
    expect(() => exportPytorch(readExample('mnist-mlp'), { plan: plan({ tensorGroup: ['fc1'], tensorParallel: 3, dataParallel: 1 }) })).toThrow(
      /not divisible by tensorParallel 3/,
    );
  });
});

describe('exportPytorch plan from the graph', () => {
  it('reads the device mesh and tensor-parallel group', () => {
    const project = readExample('mnist-mlp');
    project.graph.nodes.push(node('mesh', 'DeviceMesh', { dataParallel: 2, tensorParallel: 2 }), node('group', 'TensorParallelGroup'));
    for (const graphNode of project.graph.nodes) if (graphNode.id === 'fc1' || graphNode.id === 'fc2') graphNode.parentId = 'group';
    const source = exportPytorch(project);
    expect(source).toContain('"fc1": ColwiseParallel(),');
    expect(source).toContain('"fc2": RowwiseParallel(),');
    expect(source).toContain('mesh of 2 x 2 devices');
    expect(source).toContain('torchrun --nproc-per-node 4');
  });

  it('names block layers as the engine plan does', () => {
    const project = blockProject();
    project.graph.nodes.push(node('mesh', 'DeviceMesh', { tensorParallel: 2 }), node('group', 'TensorParallelGroup'));
    project.graph.nodes.find((graphNode) => graphNode.id === 'block1')!.parentId = 'group';
    const source = exportPytorch(project, { dataset: TEXT_SHAPES });
    expect(source).toContain('"block1.ff.fc1": ColwiseParallel(),');
    expect(source).toContain('"block1.ff.fc2": RowwiseParallel(),');
    expect(source).toContain('# "block1.attn": split by heads in Tensorloom');
  });
});

withTorch('exportPytorch parallel plan in Python', () => {
  it('names linear submodules of the MLP', () => {
    const result = runPlan(exportPytorch(readExample('mnist-mlp'), { plan: plan({ tensorGroup: ['fc1', 'fc2', 'fc3'] }) }));
    expect(result.entries.fc1).toEqual({ style: 'ColwiseParallel', options: {}, module: 'Linear' });
    expect(result.entries.fc2).toEqual({ style: 'RowwiseParallel', options: {}, module: 'Linear' });
    expect(result.entries.fc3).toEqual({ style: 'ColwiseParallel', options: { output_layouts: 'Replicate()' }, module: 'Linear' });
    expect(result.calls).toEqual([{ mesh: 'mesh[tp]', keys: ['fc1', 'fc2', 'fc3'] }]);
    expect(result.mesh).toEqual({ device: 'cuda', shape: [1, 2], names: ['dp', 'tp'] });
  });

  it('shards MLP rows under sequence parallelism', () => {
    const sequencePlan = plan({ dataParallel: 2, sequenceParallel: true, tensorGroup: ['fc1', 'fc2'] });
    const result = runPlan(exportPytorch(readExample('mnist-mlp'), { plan: sequencePlan }));
    expect(result.entries.fc1.options).toEqual({ input_layouts: 'Shard(0)' });
    expect(result.entries.fc2.options).toEqual({ output_layouts: 'Shard(0)' });
    expect(result.mesh.shape).toEqual([2, 2]);
  });

  it('opens transformer blocks into their layers', () => {
    const sequencePlan = plan({ sequenceParallel: true, tensorGroup: ['block1', 'ln_f'] });
    const source = exportPytorch(blockProject(), { plan: sequencePlan, dataset: TEXT_SHAPES });
    expect(source).toContain('# "block1.attn": split by heads in Tensorloom');
    const result = runPlan(source);
    expect(result.entries['block1.ln1']).toEqual({ style: 'SequenceParallel', options: {}, module: 'LayerNorm' });
    expect(result.entries['block1.ff.fc1']).toEqual({ style: 'ColwiseParallel', options: { input_layouts: 'Shard(1)' }, module: 'Linear' });
    expect(result.entries['block1.ff.fc2']).toEqual({ style: 'RowwiseParallel', options: { output_layouts: 'Shard(1)' }, module: 'Linear' });
    expect(result.entries.ln_f).toEqual({ style: 'SequenceParallel', options: {}, module: 'LayerNorm' });
    expect(Object.keys(result.entries).sort()).toEqual(['block1.ff.fc1', 'block1.ff.fc2', 'block1.ln1', 'block1.ln2', 'ln_f']);
  });
});

/** One SGD step of the exported model under DistributedDataParallel, each process on its half of the batch. */
const DATA_PARALLEL_STEP = String.raw`
import torch
import torch.distributed as dist

import model

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
net = model.TensorloomModel()
model.load_safetensors(net, "weights.safetensors")
replica = torch.nn.parallel.DistributedDataParallel(net)
optimizer = torch.optim.SGD(replica.parameters(), lr=0.1)

batch = model.read_safetensors("batch.safetensors")
rows = batch["features"].shape[0] // world
mine = slice(rank * rows, (rank + 1) * rows)
loss = net.loss(replica(batch["features"][mine]), batch["targets"][mine])
loss.backward()
optimizer.step()
if rank == 0:
    model.save_safetensors(net, "stepped.safetensors")
dist.destroy_process_group()
`;

withTorch('exportPytorch in several processes', () => {
  it('takes a data-parallel step like the engine', async () => {
    const example = readExample('xor-mlp');
    const shapes = datasetShapes('xor');
    const model = compileGraph(example.graph, shapes, new Rng(21));
    const weights = encodeSafetensors(model.parameters);
    const rng = new Rng(22);
    const features = Tensor.from(Array.from({ length: 16 }, () => rng.uniform(-1, 1)), [8, 2]);
    const labels = Int32Array.from({ length: 8 }, () => Math.floor(rng.next() * shapes.classCount));
    const batch = encodeSafetensors(new Map([['features', features], ['targets', new Tensor(Float32Array.from(labels), [8])]]));

    engineGradients(model, features, labels);
    new SGD(model.parameters, { learningRate: 0.1 }).step();
    const run = await runDistributed(exportPytorch(example), { 'weights.safetensors': weights, 'batch.safetensors': batch }, DATA_PARALLEL_STEP, 2);

    expect(run.statuses, run.stderr).toEqual([0, 0]);
    const stepped = decodeSafetensors(run.folder['stepped.safetensors']).tensors;
    for (const [name, parameter] of model.parameters) {
      expect(maxAbsDifference(stepped.get(name)!.data, parameter.data), name).toBeLessThan(1e-5);
    }
  });
});
