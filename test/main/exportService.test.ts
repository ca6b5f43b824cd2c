// The native dialogs cannot run without Electron, so a stand-in returns the paths a user would pick.
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProject } from '../../src/engine/io/project';
import { decodeSafetensors } from '../../src/engine/io/safetensors';
import { writeFileAtomic, type ByteWriter } from '../../src/main/files/atomicFile';
import { encodeWeights, initialWeights, type WeightTensors } from '../../src/main/export/weights';
import { createExportService, IMPORT_NEEDS_BYTES, type ExportDialogHost, type ExportServiceOptions } from '../../src/main/services/exportService';
import type { ExportResult, ImportWeightsResult } from '../../src/shared/api';
import type { ProjectFile } from '../../src/shared/project';
import { badWeightsCases, mnistProject, OVERSIZED_HEADER_BYTES, trainedLikeWeights } from './exportHelpers';

let folder: string;
let project: ProjectFile;
let weights: WeightTensors;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'tensorloom-export-service-'));
  project = mnistProject();
  weights = trainedLikeWeights(project);
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

interface DialogCalls {
  exports: Array<Parameters<ExportDialogHost['showExportDialog']>[0]>;
}

/** A dialog host that returns the given path from each dialog (null = cancel). */
function dialogs(paths: { save?: string | null; weights?: string | null; project?: string | null }): ExportDialogHost & DialogCalls {
  const exports: DialogCalls['exports'] = [];
  return {
    exports,
    showExportDialog: async (options) => {
      exports.push(options);
      return paths.save ?? null;
    },
    showWeightsOpenDialog: async () => paths.weights ?? null,
    showProjectOpenDialog: async () => paths.project ?? null,
  };
}

function webService(overrides: Partial<ExportServiceOptions> = {}) {
  return createExportService({ dialogHost: null, lastCheckpointPath: () => null, ...overrides });
}

function decodeDownload(result: ExportResult | null): Uint8Array {
  if (result?.kind !== 'download') throw new Error(`expected a download, got ${JSON.stringify(result)}`);
  return Uint8Array.from(Buffer.from(result.base64, 'base64'));
}

function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function expectSuccess(result: ImportWeightsResult | null): Extract<ImportWeightsResult, { ok: true }> {
  if (result === null || !result.ok) throw new Error(`expected a successful import, got ${JSON.stringify(result)}`);
  return result;
}

function expectFailure(result: ImportWeightsResult | null): Extract<ImportWeightsResult, { ok: false }> {
  if (result === null || result.ok) throw new Error(`expected a failed import, got ${JSON.stringify(result)}`);
  return result;
}

describe('exportProject in web mode', () => {
  it('returns config bytes for download', async () => {
    const result = await webService().exportProject({ format: 'config', project });

    expect(result).toMatchObject({ kind: 'download', format: 'config', fileName: 'MNIST-MLP-784-128-64-10.json', mimeType: 'application/json' });
    const parsed = parseProject(new TextDecoder().decode(decodeDownload(result)), 'download');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.project).toEqual(project);
  });

  it('warns when there are no trained weights', async () => {
    const result = await webService().exportProject({ format: 'safetensors', project });

    expect(result?.warnings).toHaveLength(1);
    expect(result?.warnings[0]).toContain('has no trained weights yet, so the export contains weights initialised from seed 42');
    expect(result?.weightsFrom).toBe('initialised from seed 42');
    const decoded = decodeSafetensors(decodeDownload(result));
    expect(decoded.tensors.get('fc1.weight')!.data).toEqual(initialWeights(project).get('fc1.weight')!.data);
  });

  it('exports fresh weights without a warning when asked for them', async () => {
    const result = await webService().exportProject({ format: 'safetensors', project, weights: { kind: 'initial' } });

    expect(result?.warnings).toEqual([]);
  });

  it('uses the last checkpoint', async () => {
    const checkpointPath = join(folder, 'checkpoint.safetensors');
    writeFileSync(checkpointPath, encodeWeights(project, weights));

    const result = await webService({ lastCheckpointPath: () => checkpointPath }).exportProject({ format: 'safetensors', project });

    expect(result?.warnings).toEqual([]);
    expect(result?.weightsFrom).toBe(checkpointPath);
    expect(decodeSafetensors(decodeDownload(result)).tensors.get('fc2.bias')!.data).toEqual(weights.get('fc2.bias')!.data);
  });

  it('fails for a checkpoint request without a checkpoint', async () => {
    await expect(webService().exportProject({ format: 'onnx', project, weights: { kind: 'checkpoint' } })).rejects.toThrow(
      'No checkpoint for "MNIST MLP 784-128-64-10" yet. Train the project first, or import a weights file.',
    );
  });

  it('rejects a file path', async () => {
    await expect(webService().exportProject({ format: 'onnx', project, weights: { kind: 'file', path: '/etc/passwd' } })).rejects.toThrow(
      'Exporting weights from a file path is only available in the desktop app and the CLI.',
    );
  });

  it('rejects an unknown format', async () => {
    await expect(webService().exportProject({ format: 'tflite' as never, project })).rejects.toThrow(
      'exportProject: unknown format "tflite"; use one of config, safetensors, onnx, pytorch.',
    );
  });

  it('reports an invalid graph by node', async () => {
    const broken = { ...project, graph: { ...project.graph, edges: project.graph.edges.filter((edge) => edge.id !== 'relu1-fc2') } };

    await expect(webService().exportProject({ format: 'onnx', project: broken })).rejects.toThrow(/The graph is invalid[\s\S]*fc2/);
  });
});

describe('exportProject in the desktop app', () => {
  it('writes the chosen file and returns its path', async () => {
    const path = join(folder, 'desktop.onnx');
    const host = dialogs({ save: path });

    const result = await createExportService({ dialogHost: host, lastCheckpointPath: () => null }).exportProject({ format: 'onnx', project, weights: { kind: 'initial' } });

    expect(result).toMatchObject({ kind: 'file', format: 'onnx', location: path, byteCount: readFileSync(path).byteLength });
    expect(host.exports[0]).toEqual({ title: 'Export ONNX model', defaultPath: 'MNIST-MLP-784-128-64-10.onnx', filterName: 'ONNX model', extension: 'onnx' });
  });

  it('suggests the folder of the last export', async () => {
    const host = dialogs({ save: join(folder, 'first.json') });
    const service = createExportService({ dialogHost: host, lastCheckpointPath: () => null });

    await service.exportProject({ format: 'config', project });
    await service.exportProject({ format: 'pytorch', project });

    expect(host.exports[1].defaultPath).toBe(join(folder, 'MNIST-MLP-784-128-64-10.py'));
  });

  it('reports a weights problem before the dialog', async () => {
    const host = dialogs({ save: join(folder, 'never.onnx') });

    await expect(
      createExportService({ dialogHost: host, lastCheckpointPath: () => null }).exportProject({ format: 'onnx', project, weights: { kind: 'checkpoint' } }),
    ).rejects.toThrow('No checkpoint for "MNIST MLP 784-128-64-10" yet.');
    expect(host.exports).toEqual([]);
  });

  it('returns null when the dialog is cancelled', async () => {
    const result = await createExportService({ dialogHost: dialogs({ save: null }), lastCheckpointPath: () => null }).exportProject({ format: 'config', project });

    expect(result).toBeNull();
  });

  it('reads weights from a given file', async () => {
    const weightsPath = join(folder, 'given.safetensors');
    writeFileSync(weightsPath, encodeWeights(project, weights));
    const out = join(folder, 'given-out.safetensors');

    const result = await createExportService({ dialogHost: dialogs({ save: out }), lastCheckpointPath: () => null }).exportProject({
      format: 'safetensors',
      project,
      weights: { kind: 'file', path: weightsPath },
    });

    expect(result?.weightsFrom).toBe(weightsPath);
    expect(decodeSafetensors(Uint8Array.from(readFileSync(out))).tensors.get('fc3.weight')!.data).toEqual(weights.get('fc3.weight')!.data);
  });

  it('keeps the old file when a write fails part way', async () => {
    const path = join(folder, 'atomic.safetensors');
    const oldBytes = new TextEncoder().encode('the previous export');
    writeFileSync(path, oldBytes);
    const failingWriter: ByteWriter = {
      write(fd, bytes) {
        writeFileSync(fd, bytes.subarray(0, bytes.byteLength >> 1));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    const service = createExportService({
      dialogHost: dialogs({ save: path }),
      lastCheckpointPath: () => null,
      writeFile: (target, bytes) => writeFileAtomic(target, bytes, failingWriter),
    });

    await expect(service.exportProject({ format: 'safetensors', project, weights: { kind: 'initial' } })).rejects.toThrow(
      `Cannot write ${path}: the disk is full. Nothing was written there;`,
    );
    expect(readFileSync(path)).toEqual(Buffer.from(oldBytes));
    expect(readdirSync(folder).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces an existing file whole', async () => {
    const path = join(folder, 'replaced.json');
    writeFileSync(path, 'x'.repeat(100_000));

    await createExportService({ dialogHost: dialogs({ save: path }), lastCheckpointPath: () => null }).exportProject({ format: 'config', project });

    expect(parseProject(readFileSync(path, 'utf8'), path).ok).toBe(true);
  });
});

describe('importWeights', () => {
  it('imports fitting weights and exports them next', async () => {
    const service = webService();

    const result = await service.importWeights({ project, base64: base64Of(encodeWeights(project, weights)), fileName: 'trained.safetensors' });
    const exported = await service.exportProject({ format: 'safetensors', project });

    expect(result).toEqual({ ok: true, location: 'trained.safetensors', tensorCount: 6, parameterCount: 109386, warnings: [] });
    expect(exported?.weightsFrom).toBe('trained.safetensors');
    expect(exported?.warnings).toEqual([]);
    expect(decodeSafetensors(decodeDownload(exported)).tensors.get('fc1.bias')!.data).toEqual(weights.get('fc1.bias')!.data);
    expect(service.importedWeightsFor(project)!.get('fc1.bias')!.data).toEqual(weights.get('fc1.bias')!.data);
  });

  it('stores imported weights as the checkpoint', async () => {
    const checkpointPath = join(folder, 'app-data', 'checkpoints', 'mnist.safetensors');
    const service = webService({ checkpointPathFor: () => checkpointPath });

    const result = await service.importWeights({ project, base64: base64Of(encodeWeights(project, weights)), fileName: 'for-resume.safetensors' });

    expect(expectSuccess(result).warnings).toEqual([]);
    const stored = decodeSafetensors(Uint8Array.from(readFileSync(checkpointPath)));
    expect(stored.tensors.get('fc1.weight')!.data).toEqual(weights.get('fc1.weight')!.data);
  });

  it('warns when the checkpoint cannot be stored', async () => {
    const blocker = join(folder, 'not-a-folder');
    writeFileSync(blocker, '');
    const service = webService({ checkpointPathFor: () => join(blocker, 'mnist.safetensors') });

    const result = await service.importWeights({ project, base64: base64Of(encodeWeights(project, weights)), fileName: 'blocked.safetensors' });

    expect(expectSuccess(result).warnings[0]).toMatch(/^The weights were imported, but a resumed run will not start from them: /);
    expect(service.importedWeightsFor(project)).not.toBeNull();
  });

  it('names each tensor that does not fit', async () => {
    const wrong: WeightTensors = new Map(weights);
    wrong.delete('fc1.bias');
    wrong.set('fc3.weight', { shape: [64, 10], data: new Float32Array(640) });
    wrong.set('head.weight', { shape: [3], data: new Float32Array(3) });
    const service = webService();

    const failure = expectFailure(await service.importWeights({ project, base64: base64Of(encodeWeights(project, wrong)), fileName: 'wrong.safetensors' }));

    expect(failure.message).toContain('wrong.safetensors does not fit the graph: 3 tensors differ.');
    expect(failure.issues).toEqual([
      { tensorName: 'fc1.bias', problem: 'missing', message: 'Tensor "fc1.bias" is missing: the graph needs it with shape [128].', expectedShape: [128] },
      {
        tensorName: 'fc3.weight',
        problem: 'shape',
        message: 'Tensor "fc3.weight" has shape [64, 10], but the graph needs [10, 64].',
        expectedShape: [10, 64],
        actualShape: [64, 10],
      },
      { tensorName: 'head.weight', problem: 'unexpected', message: 'Tensor "head.weight" with shape [3] is not a parameter of this graph.', actualShape: [3] },
    ]);
    expect(service.importedWeightsFor(project)).toBeNull();
  });

  it('warns about another graph hash', async () => {
    const other = { ...project, name: 'old MNIST', graph: { ...project.graph, nodes: project.graph.nodes.map((node) => (node.id === 'fc1' ? { ...node, params: { ...node.params, init: 'xavier' } } : node)) } };

    const result = await webService().importWeights({ project, base64: base64Of(encodeWeights(other, weights)), fileName: 'old.safetensors' });

    expect(expectSuccess(result).warnings).toEqual([
      'old.safetensors was saved for a different graph (project "old MNIST"), though its tensor names and shapes fit this one. Check that it is the file you meant.',
    ]);
  });

  it('prefers the newer of imported weights and checkpoint', async () => {
    const checkpointPath = join(folder, 'older-checkpoint.safetensors');
    writeFileSync(checkpointPath, encodeWeights(project, initialWeights(project)));
    utimesSync(checkpointPath, new Date(1_000_000), new Date(1_000_000));
    const service = webService({ lastCheckpointPath: () => checkpointPath, nowMs: () => 2_000_000 });

    await service.importWeights({ project, base64: base64Of(encodeWeights(project, weights)), fileName: 'newer.safetensors' });
    const first = await service.exportProject({ format: 'safetensors', project });
    utimesSync(checkpointPath, new Date(3_000_000), new Date(3_000_000));
    const second = await service.exportProject({ format: 'safetensors', project });

    expect(first?.weightsFrom).toBe('newer.safetensors');
    expect(second?.weightsFrom).toBe(checkpointPath);
  });

  it('reads the file chosen in the desktop app', async () => {
    const path = join(folder, 'chosen.safetensors');
    writeFileSync(path, encodeWeights(project, weights));

    const result = await createExportService({ dialogHost: dialogs({ weights: path }), lastCheckpointPath: () => null }).importWeights({ project });

    expect(result).toMatchObject({ ok: true, location: path, tensorCount: 6 });
  });

  it('returns null when the open dialog is cancelled', async () => {
    const result = await createExportService({ dialogHost: dialogs({ weights: null }), lastCheckpointPath: () => null }).importWeights({ project });

    expect(result).toBeNull();
  });

  it('needs the bytes in web mode', async () => {
    await expect(webService().importWeights({ project })).rejects.toThrow(IMPORT_NEEDS_BYTES);
  });

  it('rejects text that is not base64', async () => {
    await expect(webService().importWeights({ project, base64: 'not base64!', fileName: 'x.safetensors' })).rejects.toThrow(
      'Cannot import x.safetensors: its contents are not valid base64.',
    );
  });

  for (const badCase of badWeightsCases()) {
    it(`reports a ${badCase.name} file with its path`, async () => {
      const path = join(folder, `service-${badCase.name}.safetensors`);
      writeFileSync(path, badCase.bytes);
      const service = createExportService({ dialogHost: dialogs({ weights: path }), lastCheckpointPath: () => null });

      const failure = expectFailure(await service.importWeights({ project }));

      expect(failure.location).toBe(path);
      expect(failure.message).toContain(`Cannot read weights file ${path}: Invalid safetensors`);
      expect(failure.message).toContain(badCase.message);
      expect(failure.issues).toEqual([]);
    });

    it(`reports an uploaded ${badCase.name} file by name`, async () => {
      const failure = expectFailure(await webService().importWeights({ project, base64: base64Of(badCase.bytes), fileName: `${badCase.name}.safetensors` }));

      expect(failure.message).toContain(`Cannot read weights file ${badCase.name}.safetensors: Invalid safetensors`);
      expect(failure.message).toContain(badCase.message);
    });
  }

  it('reports a header over 100 MB', async () => {
    const path = join(folder, 'service-huge-header.safetensors');
    const fd = openSync(path, 'w');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(OVERSIZED_HEADER_BYTES));
    writeSync(fd, prefix);
    ftruncateSync(fd, 8 + OVERSIZED_HEADER_BYTES); // sparse: the header bytes are never written
    closeSync(fd);
    const service = createExportService({ dialogHost: dialogs({ weights: path }), lastCheckpointPath: () => null });

    const failure = expectFailure(await service.importWeights({ project }));
    rmSync(path);

    expect(failure.message).toBe(
      `Cannot read weights file ${path}: Invalid safetensors file: the header is 100000001 bytes, over the limit of 100000000 bytes. ` +
        'Headers this large are rejected as likely hostile. Check where the file came from.',
    );
  });

  it('reports a missing file', async () => {
    const path = join(folder, 'gone.safetensors');

    const failure = expectFailure(await createExportService({ dialogHost: dialogs({ weights: path }), lastCheckpointPath: () => null }).importWeights({ project }));

    expect(failure.message).toBe(`Cannot read weights file ${path}: the file does not exist. Check the path and try again.`);
  });
});

describe('openProjectWithWeights', () => {
  it('loads the weights beside the project', async () => {
    const projectPath = join(folder, 'beside.json');
    writeFileSync(projectPath, JSON.stringify(project));
    writeFileSync(join(folder, 'beside.safetensors'), encodeWeights(project, weights));
    const service = createExportService({ dialogHost: dialogs({ project: projectPath }), lastCheckpointPath: () => null });

    const opened = await service.openProjectWithWeights();

    expect(opened?.location).toBe(projectPath);
    expect(opened?.result.ok).toBe(true);
    expect(opened?.weights).toMatchObject({ ok: true, location: join(folder, 'beside.safetensors'), tensorCount: 6 });
    expect(service.importedWeightsFor(project)!.get('fc3.bias')!.data).toEqual(weights.get('fc3.bias')!.data);
  });

  it('opens a project without weights beside it', async () => {
    const projectPath = join(folder, 'alone.json');
    writeFileSync(projectPath, JSON.stringify(project));

    const opened = await createExportService({ dialogHost: dialogs({ project: projectPath }), lastCheckpointPath: () => null }).openProjectWithWeights();

    expect(existsSync(join(folder, 'alone.safetensors'))).toBe(false);
    expect(opened?.result.ok).toBe(true);
    expect(opened?.weights).toBeNull();
  });

  it('reports weights beside the project that do not fit', async () => {
    const projectPath = join(folder, 'misfit.json');
    writeFileSync(projectPath, JSON.stringify(project));
    const wrong: WeightTensors = new Map(weights);
    wrong.delete('fc2.weight');
    writeFileSync(join(folder, 'misfit.safetensors'), encodeWeights(project, wrong));

    const opened = await createExportService({ dialogHost: dialogs({ project: projectPath }), lastCheckpointPath: () => null }).openProjectWithWeights();

    expect(opened?.result.ok).toBe(true);
    expect(opened?.weights).toMatchObject({ ok: false, issues: [{ tensorName: 'fc2.weight', problem: 'missing' }] });
  });
});
