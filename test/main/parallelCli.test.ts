/** The check-parallel command and train --devices, run as a user runs them, with real device processes. */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, xorProject } from './helpers';

const scratch = mkdtempSync(join(tmpdir(), 'tensorloom-check-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runCli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/main/cli/index.ts'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Writes the XOR MLP with a tensor-parallel mesh of 2 and returns its path. */
function writeTensorParallelXor(): string {
  const project = xorProject({ batchSize: 16 });
  project.graph.nodes = project.graph.nodes.map((node) => (['fc1', 'relu1', 'fc2'].includes(node.id) ? { ...node, parentId: 'group' } : node));
  project.graph.nodes.push(
    { id: 'mesh', type: 'DeviceMesh', position: { x: 0, y: -100 }, params: { dataParallel: 1, tensorParallel: 2, sequenceParallel: false } },
    { id: 'group', type: 'TensorParallelGroup', position: { x: 200, y: -50 }, params: {} },
  );
  const path = join(scratch, 'xor-tp2.json');
  writeFileSync(path, JSON.stringify(project));
  return path;
}

describe('tensorloom check-parallel', () => {
  const projectPath = writeTensorParallelXor();

  it('exits 0 within the tolerance', () => {
    const result = runCli('check-parallel', projectPath, '--steps', '3');

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Plan: data 1 × tensor 2 on 2 device processes');
    expect(result.stdout).toContain('Sharding: fc1 column, fc2 row');
    expect(result.stdout).toMatch(/device 1 \(data 0, tensor 1\): all-reduce 1 calls/);
    expect(result.stdout).toContain('PASS');
  });

  it('exits 1 above the tolerance with JSON', () => {
    const result = runCli('check-parallel', projectPath, '--steps', '3', '--tolerance', '0', '--json');
    const check = JSON.parse(result.stdout) as { kind: string; passed: boolean; stepReports: unknown[][]; maxParameterRelative: number };

    expect(result.status).toBe(1);
    expect(check.kind).toBe('parallel-check');
    expect(check.passed).toBe(false);
    expect(check.maxParameterRelative).toBeGreaterThan(0);
    expect(check.stepReports).toHaveLength(3);
  });

  it('exits 2 without --steps', () => {
    const result = runCli('check-parallel', projectPath);

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('check-parallel needs --steps K');
  });

  it('exits 1 when --devices differs from the mesh', () => {
    const result = runCli('check-parallel', projectPath, '--steps', '1', '--devices', '3');

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('DeviceMesh node "mesh" needs data 1 × tensor 2 = 2. Pass --devices 2');
  });

  it('exits 1 for a one-device project', () => {
    const path = join(scratch, 'xor.json');
    writeFileSync(path, JSON.stringify(xorProject()));

    const result = runCli('check-parallel', path, '--steps', '1');

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('there is no plan to check');
  });
});

describe('tensorloom train --devices', () => {
  it('rejects a batch that does not split over the devices', () => {
    const path = join(scratch, 'xor-batch.json');
    writeFileSync(path, JSON.stringify(xorProject({ batchSize: 30 })));

    const result = runCli('train', path, '--devices', '4');

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('does not split over 4 data-parallel devices');
  });

  it('trains data parallel on 2 devices', () => {
    const path = join(scratch, 'xor-dp.json');
    writeFileSync(path, JSON.stringify(xorProject({ epochs: 1, batchSize: 32 })));

    const result = runCli('train', path, '--devices', '2', '--json');

    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/Running on 2 device processes \(pids \d+, \d+\): data 2 × tensor 1/);
    expect(result.stdout).toContain('"event":"done"');
  });
});
