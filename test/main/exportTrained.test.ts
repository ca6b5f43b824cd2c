// Trains with the real CLI and device process, then exports what the run wrote beside the project.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/engine/io/onnx/index';
import { decodeSafetensors, type DecodedSafetensors } from '../../src/engine/io/safetensors';
import { initialWeights } from '../../src/main/export/weights';
import type { ProjectFile } from '../../src/shared/project';
import { hasReferencePython, mnistProject, readWithReference, runCli } from './exportHelpers';
import { repoRoot } from './helpers';

let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'tensorloom-export-trained-'));
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

function readSafetensorsFile(path: string): DecodedSafetensors {
  return decodeSafetensors(Uint8Array.from(readFileSync(path)));
}

function onnxInitializers(path: string): Map<string, Float32Array> {
  const model = decodeModel(Uint8Array.from(readFileSync(path)));
  return new Map(model.graph!.initializer!.map((tensor) => [tensor.name!, new Float32Array(Uint8Array.from(tensor.rawData!).buffer)]));
}

/** Builds a one-block character transformer on `corpus.txt` beside the project, small enough to train in seconds. */
function tinyLanguageModel(): ProjectFile {
  const example = JSON.parse(readFileSync(join(repoRoot, 'resources/examples/char-transformer.json'), 'utf8')) as ProjectFile;
  const nodes = example.graph.nodes
    .filter((node) => node.id !== 'block2')
    .map((node) => {
      if (node.id === 'tokens') return { ...node, params: { ...node.params, contextLength: 16 } };
      if (node.id === 'embed') return { ...node, params: { ...node.params, width: 16 } };
      if (node.type === 'TransformerBlock') return { ...node, params: { ...node.params, heads: 2, hiddenWidth: 32 } };
      return node;
    });
  const edges = example.graph.edges
    .filter((edge) => edge.target !== 'block2')
    .map((edge) => (edge.source === 'block2' ? { ...edge, source: 'block1' } : edge));
  return {
    ...example,
    name: 'tiny char model',
    dataset: { id: 'text-file', path: 'corpus.txt', tokenizer: 'char', validationFraction: 0.2 },
    training: { ...example.training, epochs: 1, stepsPerEpoch: 5, warmupSteps: 0, batchSize: 4 },
    graph: { nodes, edges },
  };
}

describe('export after a CLI training run', () => {
  it('exports the MNIST checkpoint in every format', async () => {
    const project = mnistProject();
    const projectPath = join(folder, 'mnist.json');
    writeFileSync(projectPath, JSON.stringify({ ...project, dataset: { id: 'mnist', trainLimit: 256, testLimit: 64 } }));

    const trained = await runCli(['train', projectPath, '--epochs', '1']);
    expect(trained.exitCode, trained.stderr).toBe(0);
    const checkpoint = readSafetensorsFile(join(folder, 'mnist.safetensors'));

    const outputs = { safetensors: 'mnist-out.safetensors', onnx: 'mnist-out.onnx', pytorch: 'mnist-out.py', config: 'mnist-out.json' };
    for (const [format, name] of Object.entries(outputs)) {
      const result = await runCli(['export', projectPath, '--format', format, '--out', join(folder, name)]);
      expect(result.exitCode, `${format}: ${result.stderr}`).toBe(0);
      expect(result.stderr, format).toBe('');
    }

    const exported = readSafetensorsFile(join(folder, outputs.safetensors));
    const initializers = onnxInitializers(join(folder, outputs.onnx));
    const fresh = initialWeights(project);
    for (const [name, tensor] of checkpoint.tensors) {
      expect(exported.tensors.get(name)!.data, name).toEqual(tensor.data);
      expect(initializers.get(name), name).toEqual(tensor.data);
    }
    // One epoch of Adam moves every weight matrix away from its initial values.
    expect(checkpoint.tensors.get('fc1.weight')!.data).not.toEqual(fresh.get('fc1.weight')!.data);

    if (!hasReferencePython) return;
    const reference = await readWithReference(join(folder, outputs.safetensors));
    expect(Object.keys(reference.tensors).sort()).toEqual([...checkpoint.tensors.keys()].sort());
    expect(Float32Array.from(reference.tensors['fc3.bias'].values)).toEqual(checkpoint.tensors.get('fc3.bias')!.data);
  });

  it('exports a trained character model', async () => {
    const projectFolder = mkdtempSync(join(folder, 'lm-'));
    const projectPath = join(projectFolder, 'tiny.json');
    writeFileSync(projectPath, JSON.stringify(tinyLanguageModel()));
    writeFileSync(join(projectFolder, 'corpus.txt'), 'the quick brown fox jumps over the lazy dog. '.repeat(40));

    const trained = await runCli(['train', projectPath]);
    expect(trained.exitCode, trained.stderr).toBe(0);
    const checkpoint = readSafetensorsFile(join(projectFolder, 'tiny.safetensors'));

    for (const [format, name] of [['safetensors', 'out.safetensors'], ['onnx', 'out.onnx'], ['pytorch', 'out.py']]) {
      const result = await runCli(['export', projectPath, '--format', format, '--out', join(projectFolder, name)]);
      expect(result.exitCode, `${format}: ${result.stderr}`).toBe(0);
    }

    const exported = readSafetensorsFile(join(projectFolder, 'out.safetensors'));
    expect([...exported.tensors.keys()].sort()).toEqual([...checkpoint.tensors.keys()].sort());
    expect(exported.tensors.get('embed.weight')!.data).toEqual(checkpoint.tensors.get('embed.weight')!.data);
    expect(exported.metadata['tensorloom.vocabulary']).toBe(checkpoint.metadata['tensorloom.vocabulary']);
    expect(exported.metadata['tensorloom.project']).toBe('tiny char model');
    expect(onnxInitializers(join(projectFolder, 'out.onnx')).get('embed.weight')).toEqual(checkpoint.tensors.get('embed.weight')!.data);
    expect(readFileSync(join(projectFolder, 'out.py'), 'utf8')).toContain('class TensorloomModel(nn.Module)');
  });
});
