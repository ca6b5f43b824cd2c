import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, xorProject } from './helpers';

let folder: string;
let validPath: string;
let brokenPath: string;
let notJsonPath: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'tensorloom-cli-'));
  validPath = join(folder, 'xor.json');
  writeFileSync(validPath, JSON.stringify(xorProject({ epochs: 2 })));
  const broken = xorProject();
  broken.graph.edges = broken.graph.edges.filter((edge) => edge.id !== 'e3');
  brokenPath = join(folder, 'broken.json');
  writeFileSync(brokenPath, JSON.stringify(broken));
  notJsonPath = join(folder, 'notjson.json');
  writeFileSync(notJsonPath, '{"format": "tensorloom-project",');
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('tensorloom CLI', () => {
  it('prints help with --help', async () => {
    const result = await runCli(['--help']);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage: tensorloom <command> [options]');
    expect(result.stdout).toContain('train <project.json>');
  });

  it('prints command help', async () => {
    const result = await runCli(['train', '--help']);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('--epochs N');
  });

  it('rejects an unknown command', async () => {
    const result = await runCli(['fly']);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Error: Unknown command "fly": use one of train, export, generate, validate, check-parallel.');
    expect(result.stderr).toContain('Run "tensorloom --help" for usage.');
  });

  it('rejects no command', async () => {
    const result = await runCli([]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('No command given.');
  });

  it('rejects an unknown flag', async () => {
    const result = await runCli(['train', validPath, '--fast']);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("train: Unknown option '--fast'");
    expect(result.stderr).toContain('Run "tensorloom train --help" for usage.');
  });

  it('rejects non-numeric --epochs', async () => {
    const result = await runCli(['train', validPath, '--epochs', 'five']);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Invalid --epochs "five": use a whole number, 1 or more.');
  });

  it('reports a missing file', async () => {
    const missing = join(folder, 'missing.json');
    const result = await runCli(['validate', missing]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Cannot open project ${missing}: the file does not exist.`);
  });

  it('validates a good project', async () => {
    const result = await runCli(['validate', validPath]);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('valid\n');
  });

  it('lists graph issues with node and port', async () => {
    const result = await runCli(['validate', brokenPath]);

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${brokenPath}: 1 issue`);
    expect(result.stderr).toMatch(/\(node fc2, port input\): .*fc2/);
  });

  it('reports a file that is not valid JSON', async () => {
    const result = await runCli(['validate', notJsonPath]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(notJsonPath);
  });

  it('refuses to train a broken project', async () => {
    const result = await runCli(['train', brokenPath, '--json']);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/\(node fc2, port input\)/);
  });

  it('trains with --json, one line per epoch', async () => {
    const result = await runCli(['train', validPath, '--epochs', '3', '--seed', '11', '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    const records = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const epochs = records.filter((record) => record.event === 'epoch');
    expect(epochs.map((record) => record.epoch)).toEqual([1, 2, 3]);
    for (const epoch of epochs) {
      expect(typeof epoch.trainLoss).toBe('number');
      expect(typeof epoch.testAccuracy).toBe('number');
      expect(epoch.samplesPerSecond as number).toBeGreaterThan(0);
    }
    expect(records[records.length - 1]).toMatchObject({ event: 'done', reason: 'completed', epochs: 3 });
    expect(result.stderr).toMatch(/epoch 1\/3 train loss \d+\.\d{4} test loss \d+\.\d{4} test acc \d+\.\d{2}% \d+ samples\/s \d+\.\d s/);
  });

  it('stops cleanly on Ctrl+C', async () => {
    // A detached child leads its own process group, so signalling the group is what
    // a terminal does on Ctrl+C: the CLI and its device both receive SIGINT.
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/main/cli/index.ts'), 'train', validPath, '--epochs', '100000', '--json'], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('"event":"epoch"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

    process.kill(-child.pid!, 'SIGINT');

    expect(await exited).toBe(130);
    expect(stderr).toContain('Interrupted: stopping the run');
    expect(stderr).not.toContain('killed by');
    const last = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(last).toMatchObject({ event: 'done', reason: 'stopped' });
  });

  it('explains a missing build in bin/tensorloom.js', () => {
    const copy = join(folder, 'unbuilt');
    mkdirSync(join(copy, 'bin'), { recursive: true });
    copyFileSync(join(repoRoot, 'bin/tensorloom.js'), join(copy, 'bin/tensorloom.js'));

    const result = spawnSync(process.execPath, [join(copy, 'bin/tensorloom.js'), '--help'], { encoding: 'utf8' });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the command line is not built');
    expect(result.stderr).toContain('Run "npm run build"');
  });

  it.skipIf(!existsSync(join(repoRoot, 'out/main/cli.js')))('runs from the built tree', () => {
    const result = spawnSync(process.execPath, [join(repoRoot, 'bin/tensorloom.js'), 'validate', validPath], { encoding: 'utf8' });

    expect(result.status).toBe(0);
    expect(result.stdout).toBe('valid\n');
  });
});
