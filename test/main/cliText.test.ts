import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers';
import { tinyTextProject, writeText } from './textHelpers';

let folder: string;
let projectPath: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'tensorloom-cli-text-'));
  writeText(folder, 'tiny.txt');
  projectPath = join(folder, 'tiny.json');
  // A relative dataset path is resolved against the project file's folder.
  writeFileSync(projectPath, JSON.stringify(tinyTextProject('tiny.txt')));
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('tensorloom CLI with a text model', () => {
  it('trains, checkpoints and generates', async () => {
    const trained = await runCli(['train', projectPath, '--json']);

    expect(trained.exitCode).toBe(0);
    expect(trained.stderr).toMatch(/epoch 2\/2 train loss \d+\.\d{4} val loss \d+\.\d{4} nats\/char \(unigram \d+\.\d{4}\)/);
    const checkpointPath = join(folder, 'tiny.safetensors');
    expect(trained.stderr).toContain(`Checkpoint written to ${checkpointPath}`);
    expect(existsSync(checkpointPath)).toBe(true);
    const epoch = JSON.parse(trained.stdout.split('\n')[0]) as { event: string; unigramEntropyNats: number };
    expect(epoch.event).toBe('epoch');
    expect(epoch.unigramEntropyNats).toBeGreaterThan(2);

    const args = ['generate', projectPath, '--prompt', 'The c', '--temperature', '0.8', '--tokens', '20', '--seed', '4'];
    const first = await runCli(args);
    const second = await runCli(args);
    expect(first.exitCode).toBe(0);
    expect(first.stdout.startsWith('The c')).toBe(true);
    expect([...first.stdout.trimEnd()].length).toBeGreaterThanOrEqual(5);
    expect(second.stdout).toBe(first.stdout);

    const unknown = await runCli(['generate', projectPath, '--prompt', 'Qx', '--tokens', '3']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('The prompt contains "Q" (U+0051) at character 0, which is not in the model\'s vocabulary');

    const resumed = await runCli(['train', projectPath, '--resume', '--epochs', '1']);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.stderr).toContain('epoch 1/1');
  });

  it('rejects generate without a checkpoint', async () => {
    const result = await runCli(['generate', projectPath, '--prompt', 'The', '--weights', join(folder, 'none.safetensors')]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Cannot read the checkpoint ${join(folder, 'none.safetensors')}`);
  });

  it('rejects resume without a checkpoint', async () => {
    const missing = join(folder, 'missing.safetensors');
    const result = await runCli(['train', projectPath, '--resume', '--checkpoint', missing]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`cannot resume: there is no checkpoint at ${missing}`);
  });

  it('rejects a temperature out of range', async () => {
    const result = await runCli(['generate', projectPath, '--prompt', 'The', '--temperature', 'hot']);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Invalid --temperature "hot": use a number from 0 (greedy) to 10.');
  });
});
