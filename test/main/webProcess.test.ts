import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebServerMessage } from '../../src/shared/web';
import { isProcessAlive, repoRoot, waitUntil, xorProject } from './helpers';

const rendererBuilt = existsSync(join(repoRoot, 'out/renderer/index.html'));
let server: ChildProcess | null = null;

afterEach(() => {
  if (server !== null && server.exitCode === null) server.kill('SIGKILL');
  server = null;
});

/** Returns the pids of the device processes among the direct children of `pid` (tsx adds an esbuild child too). */
function devicePids(pid: number): number[] {
  try {
    const output = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
    return output
      .split('\n')
      .filter((line) => line.includes('device/entry.ts'))
      .map((line) => Number.parseInt(line.trim(), 10));
  } catch {
    return [];
  }
}

function readUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Tensorloom web mode: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(stdout);
      if (match !== null) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`web mode exited with code ${code} before printing its URL`)));
  });
}

// NOTE: needs the built renderer (out/renderer), which `npx electron-vite build` makes.
describe.skipIf(!rendererBuilt)('web mode process', () => {
  it('stops the run and its device on SIGTERM', async () => {
    server = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/main/web/index.ts'), '--port', '0'], {
      cwd: repoRoot,
      env: { ...process.env, TENSORLOOM_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = new URL(await readUrl(server));
    const socket = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`, { origin: url.origin });
    const events: WebServerMessage[] = [];
    socket.on('message', (data) => events.push(JSON.parse(String(data)) as WebServerMessage));
    await new Promise((resolve) => socket.once('open', resolve));

    socket.send(JSON.stringify({ type: 'call', id: 1, method: 'startRun', args: [xorProject({ epochs: 10_000 })] }));
    await waitUntil(() => events.some((message) => message.type === 'event' && message.event.kind === 'step'), 30_000, 'a step event');
    const devices = devicePids(server.pid!);
    expect(devices).toHaveLength(1);

    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');

    expect(await exited).toBe(0);
    await waitUntil(() => !isProcessAlive(devices[0]), 5000, 'device exit');
    expect(events.some((message) => message.type === 'event' && message.event.kind === 'done' && message.event.reason === 'stopped')).toBe(true);
  });

  it('leaves no device behind when killed', async () => {
    server = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/main/web/index.ts'), '--port', '0'], {
      cwd: repoRoot,
      env: { ...process.env, TENSORLOOM_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = new URL(await readUrl(server));
    const socket = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`, { origin: url.origin });
    const events: WebServerMessage[] = [];
    socket.on('message', (data) => events.push(JSON.parse(String(data)) as WebServerMessage));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'call', id: 1, method: 'startRun', args: [xorProject({ epochs: 10_000 })] }));
    await waitUntil(() => events.some((message) => message.type === 'event' && message.event.kind === 'step'), 30_000, 'a step event');
    const devices = devicePids(server.pid!);
    expect(devices).toHaveLength(1);

    // SIGKILL gives web mode no chance to clean up, so the device must notice on its own.
    server.kill('SIGKILL');

    await waitUntil(() => !isProcessAlive(devices[0]), 10_000, 'device exit after its parent died');
  });

  it('rejects a bad --port', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/main/web/index.ts'), '--port', 'http'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect(code).toBe(1);
    expect(stderr).toContain('Invalid --port "http": use a whole number from 0 to 65535');
  });
});
