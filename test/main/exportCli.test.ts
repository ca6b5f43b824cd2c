import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync, chmodSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../src/engine/graph/compile';
import { datasetShapes } from '../../src/engine/data/catalog';
import { decodeModel } from '../../src/engine/io/onnx/index';
import { parseProject } from '../../src/engine/io/project';
import { decodeSafetensors } from '../../src/engine/io/safetensors';
import { Rng } from '../../src/engine/tensor/random';
import { Tensor } from '../../src/engine/tensor/tensor';
import { GRAPH_HASH_METADATA_KEY, graphHash } from '../../src/main/export/graphHash';
import { encodeWeights, type WeightTensors } from '../../src/main/export/weights';
import type { ProjectFile } from '../../src/shared/project';
import {
  badWeightsCases,
  hasReferencePython,
  mnistProject,
  OVERSIZED_HEADER_BYTES,
  readWithReference,
  runCli,
  trainedLikeWeights,
} from './exportHelpers';

ort.env.wasm.numThreads = 1;

/** Reads a file as a plain Uint8Array: `slice()` on a Node Buffer shares memory, which the decoder does not expect. */
function readBytes(path: string): Uint8Array {
  return Uint8Array.from(readFileSync(path));
}

let folder: string;
let projectPath: string;
let project: ProjectFile;
let weights: WeightTensors;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'tensorloom-export-cli-'));
  project = mnistProject();
  projectPath = join(folder, 'mnist.json');
  writeFileSync(projectPath, JSON.stringify(project, null, 2));
  weights = trainedLikeWeights(project);
  // Where `tensorloom train mnist.json` leaves its checkpoint.
  writeFileSync(join(folder, 'mnist.safetensors'), encodeWeights(project, weights));
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('tensorloom export', () => {
  it('prints its help', async () => {
    const result = await runCli(['export', '--help']);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage: tensorloom export <project.json> --format F --out PATH [--weights PATH]');
    expect(result.stdout).toContain('--weights PATH');
  });

  it('lists export in the main help', async () => {
    const result = await runCli(['--help']);

    expect(result.stdout).toContain('export <project.json>');
  });

  it('writes safetensors that both readers accept', async () => {
    const out = join(folder, 'weights-out.safetensors');

    const result = await runCli(['export', projectPath, '--format', 'safetensors', '--out', out]);

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const byteCount = readFileSync(out).byteLength;
    expect(result.stdout).toBe(`Wrote ${out} (${byteCount} bytes, safetensors)\n`);
    const decoded = decodeSafetensors(readBytes(out));
    expect([...decoded.tensors.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, tensor] of weights) {
      expect(decoded.tensors.get(name)!.shape, name).toEqual(tensor.shape);
      expect(decoded.tensors.get(name)!.data, name).toEqual(tensor.data);
    }
    expect(decoded.metadata[GRAPH_HASH_METADATA_KEY]).toBe(graphHash(project));

    if (!hasReferencePython) return;
    const reference = await readWithReference(out);
    expect(Object.keys(reference.tensors).sort()).toEqual([...weights.keys()].sort());
    for (const [name, tensor] of weights) {
      expect(reference.tensors[name].dtype, name).toBe('F32');
      expect(reference.tensors[name].shape, name).toEqual(tensor.shape);
      expect(Float32Array.from(reference.tensors[name].values), name).toEqual(tensor.data);
    }
    expect(reference.metadata[GRAPH_HASH_METADATA_KEY]).toBe(graphHash(project));
  });

  it('writes a config that parses to the same project', async () => {
    const out = join(folder, 'config-out.json');

    const result = await runCli(['export', projectPath, '--format', 'config', '--out', out]);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Wrote ${out} (`);
    const parsed = parseProject(readFileSync(out, 'utf8'), out);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.project).toEqual(project);
  });

  it('writes ONNX that predicts like the engine', async () => {
    const out = join(folder, 'model.onnx');

    const result = await runCli(['export', projectPath, '--format', 'onnx', '--out', out]);

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const bytes = new Uint8Array(readFileSync(out));
    expect(result.stdout).toBe(`Wrote ${out} (${bytes.byteLength} bytes, onnx)\n`);

    const initializers = new Map(decodeModel(bytes).graph!.initializer!.map((tensor) => [tensor.name!, tensor]));
    for (const [name, tensor] of weights) {
      const stored = initializers.get(name);
      expect(stored, name).toBeDefined();
      const raw = stored!.rawData!;
      expect(new Float32Array(Uint8Array.from(raw).buffer), name).toEqual(tensor.data);
    }

    // The engine with the same weights is the reference for the ONNX model's prediction.
    const model = compileGraph(project.graph, datasetShapes('mnist'), new Rng(1));
    for (const [name, parameter] of model.parameters) parameter.data.set(weights.get(name)!.data);
    const rng = new Rng(3);
    const features = new Tensor(Float32Array.from({ length: 2 * 784 }, () => rng.uniform(0, 1)), [2, 784]); // [B, 784]
    const expected = model.predict(features).data;

    const session = await ort.InferenceSession.create(bytes);
    const inputName = session.inputNames[0];
    const outputs = await session.run({ [inputName]: new ort.Tensor('float32', features.data, [2, 784]) });
    await session.release();
    const actual = outputs.prediction.data as Float32Array;
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i]), `output ${i}`).toBeLessThan(1e-4 + 1e-4 * Math.abs(expected[i]));
  });

  it('writes a PyTorch module', async () => {
    const out = join(folder, 'model.py');

    const result = await runCli(['export', projectPath, '--format', 'pytorch', '--out', out]);

    expect(result.exitCode).toBe(0);
    const code = readFileSync(out, 'utf8');
    expect(code).toContain('class TensorloomModel(nn.Module)');
    expect(code).toContain('def load_safetensors(');
  });

  it('takes weights from --weights', async () => {
    const otherWeights = trainedLikeWeights(project);
    for (const tensor of otherWeights.values()) tensor.data.fill(0.25);
    const weightsPath = join(folder, 'other.safetensors');
    writeFileSync(weightsPath, encodeWeights(project, otherWeights));
    const out = join(folder, 'from-other.safetensors');

    const result = await runCli(['export', projectPath, '--format', 'safetensors', '--out', out, '--weights', weightsPath]);

    expect(result.exitCode).toBe(0);
    const decoded = decodeSafetensors(readBytes(out));
    expect(decoded.tensors.get('fc1.bias')!.data.every((value) => value === 0.25)).toBe(true);
  });

  it('rejects an unknown format listing the valid ones', async () => {
    const result = await runCli(['export', projectPath, '--format', 'tflite', '--out', join(folder, 'x.tflite')]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Unknown format "tflite": use one of config, safetensors, onnx, pytorch.');
    expect(result.stderr).toContain('Run "tensorloom export --help" for usage.');
  });

  it('requires --format and --out', async () => {
    const noFormat = await runCli(['export', projectPath, '--out', join(folder, 'x')]);
    const noOut = await runCli(['export', projectPath, '--format', 'config']);

    expect(noFormat.exitCode).toBe(2);
    expect(noFormat.stderr).toContain('export needs --format: use one of config, safetensors, onnx, pytorch.');
    expect(noOut.exitCode).toBe(2);
    expect(noOut.stderr).toContain('export needs --out PATH');
  });

  it('says how to get weights when there are none', async () => {
    const lonelyPath = join(folder, 'untrained.json');
    writeFileSync(lonelyPath, JSON.stringify(project));
    const out = join(folder, 'untrained.onnx');

    const result = await runCli(['export', lonelyPath, '--format', 'onnx', '--out', out]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`no trained weights for ${lonelyPath}: ${join(folder, 'untrained.safetensors')} does not exist.`);
    expect(result.stderr).toContain(`Train first (tensorloom train ${lonelyPath}), or pass --weights PATH`);
    expect(existsSync(out)).toBe(false);
  });

  it('reports a missing --weights file', async () => {
    const missing = join(folder, 'missing.safetensors');

    const result = await runCli(['export', projectPath, '--format', 'onnx', '--out', join(folder, 'x.onnx'), '--weights', missing]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Cannot read weights file ${missing}: the file does not exist.`);
  });

  it('reports an output folder that does not exist', async () => {
    const missingFolder = join(folder, 'no-such-folder', 'out.json');

    const result = await runCli(['export', projectPath, '--format', 'config', '--out', missingFolder]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Cannot write ${missingFolder}: the folder does not exist.`);
    expect(result.stderr).toContain('check that the folder exists and is writable');
  });

  it('reports an output path that is a folder', async () => {
    const out = mkdtempSync(join(folder, 'folder-out-'));

    const result = await runCli(['export', projectPath, '--format', 'config', '--out', out]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Cannot write ${out}: it is a folder.`);
    expect(readdirSync(out)).toEqual([]);
  });

  // Root may write into a read-only folder, so the case cannot fail as root.
  it.skipIf(process.getuid?.() === 0)('reports a read-only output folder', async () => {
    const readOnly = mkdtempSync(join(folder, 'read-only-'));
    chmodSync(readOnly, 0o555);
    const out = join(readOnly, 'out.json');

    const result = await runCli(['export', projectPath, '--format', 'config', '--out', out]);
    chmodSync(readOnly, 0o755);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Cannot write ${out}: permission denied.`);
  });

  it('lists each tensor that does not fit the graph', async () => {
    const wrong: WeightTensors = new Map(weights);
    wrong.delete('fc3.bias');
    wrong.set('fc2.weight', { shape: [2, 3], data: new Float32Array(6) });
    wrong.set('fc9.weight', { shape: [4], data: new Float32Array(4) });
    const wrongPath = join(folder, 'wrong.safetensors');
    writeFileSync(wrongPath, encodeWeights(project, wrong));

    const result = await runCli(['export', projectPath, '--format', 'onnx', '--out', join(folder, 'wrong.onnx'), '--weights', wrongPath]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`${wrongPath} does not fit the graph: 3 tensors differ.`);
    expect(result.stderr).toContain('Tensor "fc3.bias" is missing: the graph needs it with shape [10].');
    expect(result.stderr).toContain('Tensor "fc2.weight" has shape [2, 3], but the graph needs [64, 128].');
    expect(result.stderr).toContain('Tensor "fc9.weight" with shape [4] is not a parameter of this graph.');
  });

  it('names the node of an invalid graph', async () => {
    const broken = { ...project, graph: { ...project.graph, edges: project.graph.edges.filter((edge) => edge.id !== 'relu1-fc2') } };
    const brokenPath = join(folder, 'broken.json');
    writeFileSync(brokenPath, JSON.stringify(broken));
    writeFileSync(join(folder, 'broken.safetensors'), encodeWeights(project, weights));

    const result = await runCli(['export', brokenPath, '--format', 'onnx', '--out', join(folder, 'broken.onnx')]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('The graph is invalid, so it cannot be compiled.');
    expect(result.stderr).toContain('"fc2"');
    expect(existsSync(join(folder, 'broken.onnx'))).toBe(false);
  });

  it('warns about weights saved for another graph', async () => {
    const renamed = { ...project, graph: { ...project.graph, nodes: project.graph.nodes.map((node) => (node.id === 'loss' ? { ...node, params: { kind: 'mse' } } : node)) } };
    const otherPath = join(folder, 'other-graph.safetensors');
    writeFileSync(otherPath, encodeWeights({ ...renamed, name: 'older MNIST' }, weights));

    const result = await runCli(['export', projectPath, '--format', 'safetensors', '--out', join(folder, 'rehashed.safetensors'), '--weights', otherPath]);

    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`warning: ${otherPath} was saved for a different graph (project "older MNIST")`);
  });

  for (const badCase of badWeightsCases()) {
    it(`rejects a ${badCase.name} weights file`, async () => {
      const badPath = join(folder, `${badCase.name}.safetensors`);
      writeFileSync(badPath, badCase.bytes);

      const result = await runCli(['export', projectPath, '--format', 'onnx', '--out', join(folder, 'bad.onnx'), '--weights', badPath]);

      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`Error: Cannot read weights file ${badPath}: Invalid safetensors`);
      expect(result.stderr).toContain(badCase.message);
      expect(result.stderr).not.toContain('    at ');
    });
  }

  it('rejects a header over 100 MB', async () => {
    const badPath = join(folder, 'huge-header.safetensors');
    const fd = openSync(badPath, 'w');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(OVERSIZED_HEADER_BYTES));
    writeSync(fd, prefix);
    ftruncateSync(fd, 8 + OVERSIZED_HEADER_BYTES); // sparse: the header bytes are never written
    closeSync(fd);

    const result = await runCli(['export', projectPath, '--format', 'onnx', '--out', join(folder, 'huge.onnx'), '--weights', badPath]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Cannot read weights file ${badPath}: Invalid safetensors file: the header is 100000001 bytes, over the limit of 100000000 bytes.`);
    rmSync(badPath);
  });

  it('leaves no temporary files behind', () => {
    expect(readdirSync(folder).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
