import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNodeLauncher } from '../../src/main/devices/nodeLauncher';
import { setLogSink } from '../../src/main/log';
import { Trainer } from '../../src/main/trainer/trainer';
import { isProcessAlive, realDeviceEntry, recordEvents, recordingLauncher, waitForEvent, waitUntil } from './helpers';
import { tinyTextProject, writeText } from './textHelpers';

const launcher = recordingLauncher(createNodeLauncher(realDeviceEntry));
const trainers: Trainer[] = [];
let restoreSink: (() => void) | null = null;
let folder: string;
let textPath: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'tensorloom-text-device-'));
  textPath = writeText(folder, 'tiny.txt');
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

afterEach(() => {
  for (const trainer of trainers.splice(0)) trainer.dispose();
  restoreSink?.();
  restoreSink = null;
});

function makeTrainer(): Trainer {
  restoreSink ??= setLogSink(() => {});
  const trainer = new Trainer({ launcher, validate: () => [], snapshotIntervalMs: 0, stepReportIntervalMs: 0 });
  trainers.push(trainer);
  return trainer;
}

describe('device process with a text model', () => {
  it('trains, streams attention, checkpoints and generates after the run', async () => {
    const trainer = makeTrainer();
    const events = recordEvents(trainer);
    const checkpointPath = join(folder, 'tiny.safetensors');
    const done = waitForEvent(trainer, 'done');

    trainer.start(tinyTextProject(textPath), false, { checkpointPath });
    await done;

    const epochs = events.filter((event) => event.kind === 'epoch');
    expect(epochs).toHaveLength(2);
    const first = epochs[0] as Extract<typeof epochs[number], { kind: 'epoch' }>;
    expect(first.unigramEntropyNats).toBeGreaterThan(2);
    expect(first.tokensPerSecond).toBeGreaterThan(0);
    expect(first.testLoss).toBeGreaterThan(0);

    const attention = events.filter((event) => event.kind === 'attention');
    expect(attention.length).toBeGreaterThan(0);
    const snapshot = (attention[attention.length - 1] as Extract<typeof attention[number], { kind: 'attention' }>).snapshot;
    expect(snapshot.tokens).toHaveLength(8);
    expect(snapshot.layers.map((layer) => layer.nodeId)).toEqual(['block1']);
    expect(snapshot.layers[0].heads).toHaveLength(2);
    expect(snapshot.layers[0].heads[0]).toHaveLength(64);
    expect(snapshot.layers[0].heads[0][1]).toBe(0);

    expect(existsSync(checkpointPath)).toBe(true);
    expect(trainer.lastCheckpointPath()).toBe(checkpointPath);
    expect(events.some((event) => event.kind === 'checkpoint' && event.path === checkpointPath)).toBe(true);
    expect(trainer.status().state).toBe('idle');

    // The device stays up after done and still serves probes.
    const pid = launcher.handles[launcher.handles.length - 1].pid!;
    expect(isProcessAlive(pid)).toBe(true);
    const probed = waitForEvent(trainer, 'activations', (event) => event.snapshot.nodeId === 'embed');
    trainer.setProbe({ nodeId: 'embed', sampleIndex: 0, text: 'the cat' });
    const activation = await probed;
    expect(activation.snapshot.shape).toEqual([7, 16]);

    const tokens = recordEvents(trainer);
    const request = { prompt: 'The ', temperature: 0.8, maxTokens: 12, seed: 3 };
    const firstText = await trainer.generate(request);
    const secondText = await trainer.generate(request);
    expect(firstText.generated).toHaveLength(12);
    expect(secondText.generated).toBe(firstText.generated);
    const streamed = tokens.filter((event) => event.kind === 'generation' && event.requestId === firstText.requestId);
    expect(streamed).toHaveLength(12);
    const candidates = (streamed[0] as Extract<typeof streamed[number], { kind: 'generation' }>).candidates;
    expect(candidates.length).toBeGreaterThan(5);
    expect(candidates[0].probability).toBeGreaterThanOrEqual(candidates[1].probability);

    const greedy = await trainer.generate({ prompt: 'The ', temperature: 0, maxTokens: 5, seed: 1 });
    const greedyAgain = await trainer.generate({ prompt: 'The ', temperature: 0, maxTokens: 5, seed: 99 });
    expect(greedyAgain.generated).toBe(greedy.generated);

    await expect(trainer.generate({ prompt: 'Thé', temperature: 1, maxTokens: 3 })).rejects.toThrow(
      'The prompt contains "é" (U+00E9) at character 2, which is not in the model\'s vocabulary',
    );

    // A new run shuts the kept device down.
    const next = waitForEvent(trainer, 'done');
    trainer.start(tinyTextProject(textPath, {}, { epochs: 1, stepsPerEpoch: 1 }), false, { checkpointPath: join(folder, 'other.safetensors') });
    await waitUntil(() => !isProcessAlive(pid), 5000, 'the kept device to exit');
    await next;
  });

  it('resumes and lists every mismatch', async () => {
    const trainer = makeTrainer();
    const checkpointPath = join(folder, 'resume.safetensors');
    const first = waitForEvent(trainer, 'done');
    trainer.start(tinyTextProject(textPath, {}, { epochs: 1, stepsPerEpoch: 2 }), false, { checkpointPath });
    await first;

    const events = recordEvents(trainer);
    const resumed = waitForEvent(trainer, 'done');
    trainer.start(tinyTextProject(textPath, {}, { epochs: 1, stepsPerEpoch: 2 }), false, { resumeFrom: checkpointPath });
    expect((await resumed).reason).toBe('completed');
    expect(events.some((event) => event.kind === 'error')).toBe(false);

    const misshaped = waitForEvent(trainer, 'error');
    trainer.start(tinyTextProject(textPath, { hiddenWidth: 24, tied: false }, { epochs: 1, stepsPerEpoch: 1 }), false, { resumeFrom: checkpointPath });
    const shapeMessage = (await misshaped).message;
    await waitUntil(() => trainer.status().state === 'idle', 5000, 'idle after the failed run');
    expect(shapeMessage).toContain(`Cannot resume from ${checkpointPath}`);
    expect(shapeMessage).toContain('missing tensor "unembed.weight" [');
    expect(shapeMessage).toContain('tensor "block1.ff.fc1.weight" is [32, 16] in the checkpoint but [24, 16] in the graph');
    expect(shapeMessage).toContain('Restore the graph the checkpoint was written for');

    const otherText = writeText(folder, 'other.txt', 'Zebras zigzag quickly; yaks yawn. '.repeat(12));
    const otherVocabulary = waitForEvent(trainer, 'error');
    trainer.start(tinyTextProject(otherText, {}, { epochs: 1, stepsPerEpoch: 1 }), false, { resumeFrom: checkpointPath });
    const vocabularyMessage = (await otherVocabulary).message;
    expect(vocabularyMessage).toContain('because the vocabulary does not match');
    expect(vocabularyMessage).toContain('characters in the text but not in the checkpoint: ";" (U+003B), "Z" (U+005A)');
    expect(vocabularyMessage).toContain('dataset.tokenizer');
  });

  it('reports a context longer than the text with the file and node', async () => {
    const trainer = makeTrainer();
    const shortText = writeText(folder, 'short.txt', 'Too short.');
    const failed = waitForEvent(trainer, 'error');
    trainer.start(tinyTextProject(shortText));
    const { message, nodeId } = await failed;
    expect(message).toContain(`Text file ${shortText} (dataset.path) has 10 tokens, but the context length 8 of TokenInput node "tokens" needs at least 18`);
    expect(message).toContain('Lower contextLength of "tokens"');
    expect(nodeId).toBe('tokens');
  });

  it('reports an empty text file with its path', async () => {
    const trainer = makeTrainer();
    const emptyText = writeText(folder, 'empty.txt', '');
    const failed = waitForEvent(trainer, 'error');
    trainer.start(tinyTextProject(emptyText));
    expect((await failed).message).toContain(`dataset.path: Text file ${emptyText}: the file is empty`);
  });

  it('reports a binary file with its path', async () => {
    const trainer = makeTrainer();
    const binary = writeText(folder, 'binary.bin', 'ab\u0000cd');
    const failed = waitForEvent(trainer, 'error');
    trainer.start(tinyTextProject(binary));
    expect((await failed).message).toContain(`Text file ${binary}: byte 2 is NUL, so this looks like a binary file`);
  });
});
