import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseProject } from '../../src/engine/io/project';
import { decodeSafetensors } from '../../src/engine/io/safetensors';
import { createNodeLauncher } from '../../src/main/devices/nodeLauncher';
import { encodeWeights } from '../../src/main/export/weights';
import { setLogSink } from '../../src/main/log';
import { IMPORT_NEEDS_BYTES } from '../../src/main/services/exportService';
import { createServices, type AppServices } from '../../src/main/services/services';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import type { ApiMethod, ExportResult, ImportWeightsResult } from '../../src/shared/api';
import type { WebServerMessage } from '../../src/shared/web';
import { mnistProject, trainedLikeWeights } from './exportHelpers';
import { realDeviceEntry } from './helpers';

let rendererRoot: string;
let checkpointPath: string;
let services: AppServices;
let server: WebServer;
let socket: WebSocket;
let restoreSink: () => void;
const replies = new Map<number, (message: WebServerMessage) => void>();
let nextId = 1;

beforeAll(async () => {
  restoreSink = setLogSink(() => {});
  rendererRoot = mkdtempSync(join(tmpdir(), 'tensorloom-export-web-'));
  writeFileSync(join(rendererRoot, 'index.html'), '<!doctype html><title>Tensorloom</title>');
  checkpointPath = join(rendererRoot, 'checkpoints', 'project.safetensors');
  services = createServices({ launcher: createNodeLauncher(realDeviceEntry), checkpointPathFor: () => checkpointPath });
  server = await startWebServer({ services, rendererRoot, port: 0 });

  socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${encodeURIComponent(server.token)}`, { origin: `http://127.0.0.1:${server.port}` });
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as WebServerMessage;
    if (message.type === 'result') replies.get(message.id)?.(message);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
});

afterAll(async () => {
  socket.close();
  await server.close();
  services.dispose();
  rmSync(rendererRoot, { recursive: true, force: true });
  restoreSink();
});

/** Calls a service method over the socket as the browser does; rejects with the server's error text. */
function call<T>(method: ApiMethod, ...args: unknown[]): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    replies.set(id, (message) => {
      replies.delete(id);
      if (message.type !== 'result') return;
      if (message.ok) resolve(message.value as T);
      else reject(new Error(message.error));
    });
    socket.send(JSON.stringify({ type: 'call', id, method, args }));
  });
}

function bytesOf(result: ExportResult): Uint8Array {
  if (result.kind !== 'download') throw new Error(`expected a download, got ${result.kind}`);
  return Uint8Array.from(Buffer.from(result.base64, 'base64'));
}

describe('export over the web-mode socket', () => {
  const project = mnistProject();
  const weights = trainedLikeWeights(project);

  it('returns a config download', async () => {
    const result = await call<ExportResult>('exportProject', { format: 'config', project });

    expect(result).toMatchObject({ kind: 'download', fileName: 'MNIST-MLP-784-128-64-10.json', mimeType: 'application/json' });
    const parsed = parseProject(new TextDecoder().decode(bytesOf(result)), 'download');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.project).toEqual(project);
  });

  it('imports uploaded weights and exports them as safetensors', async () => {
    const base64 = Buffer.from(encodeWeights(project, weights)).toString('base64');

    const imported = await call<ImportWeightsResult>('importWeights', { project, base64, fileName: 'trained.safetensors' });
    const exported = await call<ExportResult>('exportProject', { format: 'safetensors', project });

    expect(imported).toMatchObject({ ok: true, location: 'trained.safetensors', tensorCount: 6 });
    expect(exported).toMatchObject({ kind: 'download', fileName: 'MNIST-MLP-784-128-64-10.safetensors', weightsFrom: 'trained.safetensors', warnings: [] });
    const bytes = bytesOf(exported);
    expect(exported.byteCount).toBe(bytes.byteLength);
    const decoded = decodeSafetensors(bytes);
    for (const [name, tensor] of weights) expect(decoded.tensors.get(name)!.data, name).toEqual(tensor.data);
    // A resumed run starts from the project's checkpoint, so the import replaced it.
    const checkpoint = decodeSafetensors(Uint8Array.from(readFileSync(checkpointPath)));
    expect(checkpoint.tensors.get('fc2.weight')!.data).toEqual(weights.get('fc2.weight')!.data);
  });

  it('returns ONNX and PyTorch downloads', async () => {
    const onnx = await call<ExportResult>('exportProject', { format: 'onnx', project });
    const pytorch = await call<ExportResult>('exportProject', { format: 'pytorch', project });

    expect(onnx).toMatchObject({ kind: 'download', fileName: 'MNIST-MLP-784-128-64-10.onnx', mimeType: 'application/octet-stream' });
    expect(bytesOf(onnx).byteLength).toBeGreaterThan(109_386 * 4);
    expect(new TextDecoder().decode(bytesOf(pytorch))).toContain('class TensorloomModel(nn.Module)');
  });

  it('reports a malformed upload by name', async () => {
    const base64 = Buffer.from(new Uint8Array(5)).toString('base64');

    const result = await call<ImportWeightsResult>('importWeights', { project, base64, fileName: 'broken.safetensors' });

    expect(result).toMatchObject({ ok: false, location: 'broken.safetensors', issues: [] });
    expect((result as Extract<ImportWeightsResult, { ok: false }>).message).toContain('Cannot read weights file broken.safetensors: Invalid safetensors file: it is 5 bytes long');
  });

  it('rejects an import without bytes', async () => {
    await expect(call('importWeights', { project })).rejects.toThrow(IMPORT_NEEDS_BYTES);
  });

  it('rejects a weights path from the browser', async () => {
    await expect(call('exportProject', { format: 'onnx', project, weights: { kind: 'file', path: '/etc/hostname' } })).rejects.toThrow(
      'Exporting weights from a file path is only available in the desktop app and the CLI.',
    );
  });

  it('rejects a malformed request', async () => {
    await expect(call('exportProject', 'onnx')).rejects.toThrow('exportProject: request must be an object, got string.');
  });
});
