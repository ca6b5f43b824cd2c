/** Shared helpers for the main-process tests: projects, event waiting, process checks. */

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent, Unsubscribe } from '../../src/shared/api';
import { DEFAULT_TRAINING, PROJECT_FORMAT, PROJECT_VERSION, type ProjectFile } from '../../src/shared/project';
import type { DeviceHandle, DeviceLauncher } from '../../src/main/devices/launcher';
import type { DeviceEntry } from '../../src/main/devices/nodeLauncher';
import { DATA_FOLDER_ENV } from '../../src/main/trainer/checkpointPaths';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

// Runs started through the services write checkpoints to the per-user data folder, so the
// tests point it at a temporary folder instead of the home directory. Child processes inherit it.
process.env[DATA_FOLDER_ENV] ??= mkdtempSync(join(tmpdir(), 'tensorloom-data-'));

export const fakeDeviceEntry: DeviceEntry = {
  path: fileURLToPath(new URL('./fixtures/fakeDevice.ts', import.meta.url)),
  execArgv: ['--import', 'tsx'],
};

export const realDeviceEntry: DeviceEntry = {
  path: fileURLToPath(new URL('../../src/main/device/entry.ts', import.meta.url)),
  execArgv: ['--import', 'tsx'],
};

/** Builds an XOR classifier project: Input -> Dense(16) -> ReLU -> Dense(2) -> cross-entropy Loss. */
export function xorProject(overrides: Partial<ProjectFile['training']> = {}): ProjectFile {
  return {
    format: PROJECT_FORMAT,
    version: PROJECT_VERSION,
    name: 'xor test',
    dataset: { id: 'xor' },
    training: { ...DEFAULT_TRAINING, epochs: 3, batchSize: 32, learningRate: 0.05, seed: 7, ...overrides },
    graph: {
      nodes: [
        { id: 'input', type: 'Input', position: { x: 0, y: 0 }, params: {} },
        { id: 'fc1', type: 'Dense', position: { x: 200, y: 0 }, params: { units: 16 } },
        { id: 'relu1', type: 'ReLU', position: { x: 400, y: 0 }, params: {} },
        { id: 'fc2', type: 'Dense', position: { x: 600, y: 0 }, params: { units: 2 } },
        { id: 'loss', type: 'Loss', position: { x: 800, y: 0 }, params: { kind: 'cross-entropy' } },
      ],
      edges: [
        { id: 'e1', source: 'input', sourcePort: 'features', target: 'fc1', targetPort: 'input' },
        { id: 'e2', source: 'fc1', sourcePort: 'output', target: 'relu1', targetPort: 'input' },
        { id: 'e3', source: 'relu1', sourcePort: 'output', target: 'fc2', targetPort: 'input' },
        { id: 'e4', source: 'fc2', sourcePort: 'output', target: 'loss', targetPort: 'prediction' },
        { id: 'e5', source: 'input', sourcePort: 'labels', target: 'loss', targetPort: 'target' },
      ],
    },
  };
}

interface EventSource {
  onDidRunEvent(listener: (event: RunEvent) => void): Unsubscribe;
}

/** Collects every run event from `source` into an array. */
export function recordEvents(source: EventSource): RunEvent[] {
  const events: RunEvent[] = [];
  source.onDidRunEvent((event) => events.push(event));
  return events;
}

/** Resolves with the first event matching `predicate`, or rejects after `timeoutMs`. */
export function waitForEvent<K extends RunEvent['kind']>(
  source: EventSource,
  kind: K,
  predicate: (event: Extract<RunEvent, { kind: K }>) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<Extract<RunEvent, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for a ${kind} event.`));
    }, timeoutMs);
    const unsubscribe = source.onDidRunEvent((event) => {
      if (event.kind !== kind) return;
      const matched = event as Extract<RunEvent, { kind: K }>;
      if (!predicate(matched)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(matched);
    });
  });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Wraps a launcher to keep every device handle it hands out, so tests can reach the device pids. */
export function recordingLauncher(inner: DeviceLauncher): DeviceLauncher & { handles: DeviceHandle[] } {
  const handles: DeviceHandle[] = [];
  return {
    handles,
    launch: (deviceIndex) => {
      const handle = inner.launch(deviceIndex);
      handles.push(handle);
      return handle;
    },
    killAll: () => inner.killAll(),
  };
}

export interface ProcessResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` in the repository root with quiet device logs and collects its exit code and output. */
export function runProcess(command: string, args: string[]): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, TENSORLOOM_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

/** Runs the CLI from source under tsx, as `tensorloom <args>` runs the built one. */
export function runCli(args: string[]): Promise<ProcessResult> {
  return runProcess(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/main/cli/index.ts'), ...args]);
}
