import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNodeLauncher } from '../../src/main/devices/nodeLauncher';
import { setLogSink } from '../../src/main/log';
import { createServices, type AppServices } from '../../src/main/services/services';
import { checkpointFolder, checkpointPathBeside, checkpointPathFor, DATA_FOLDER_ENV } from '../../src/main/trainer/checkpointPaths';
import { realDeviceEntry, recordEvents, waitForEvent, xorProject } from './helpers';
import { tinyTextProject, writeText } from './textHelpers';

let folder: string;
let textPath: string;
let previousDataFolder: string | undefined;
const opened: AppServices[] = [];
let restoreSink: (() => void) | null = null;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'tensorloom-services-text-'));
  textPath = writeText(folder, 'tiny.txt');
  previousDataFolder = process.env[DATA_FOLDER_ENV];
  process.env[DATA_FOLDER_ENV] = join(folder, 'data');
});

afterAll(() => {
  if (previousDataFolder === undefined) delete process.env[DATA_FOLDER_ENV];
  else process.env[DATA_FOLDER_ENV] = previousDataFolder;
  rmSync(folder, { recursive: true, force: true });
});

afterEach(() => {
  for (const services of opened.splice(0)) services.dispose();
  restoreSink?.();
  restoreSink = null;
});

function makeServices(): AppServices {
  restoreSink ??= setLogSink(() => {});
  const services = createServices({ launcher: createNodeLauncher(realDeviceEntry), snapshotIntervalMs: 0 });
  opened.push(services);
  return services;
}

describe('checkpoint paths', () => {
  it('use the data folder from the environment', () => {
    expect(checkpointFolder({ [DATA_FOLDER_ENV]: '/data/tl' })).toBe('/data/tl/checkpoints');
  });

  it('default to a folder in the home directory', () => {
    expect(checkpointFolder({})).toMatch(/\.tensorloom[/\\]checkpoints$/);
  });

  it('name the file after the project', () => {
    const project = tinyTextProject(textPath);
    project.name = 'My model: v2';
    expect(checkpointPathFor(project, { [DATA_FOLDER_ENV]: '/data' })).toBe('/data/checkpoints/My-model-v2.safetensors');
  });

  it('sit beside a project file on the command line', () => {
    expect(checkpointPathBeside('/work/mnist.json')).toBe('/work/mnist.safetensors');
  });
});

describe('services with a text model', () => {
  it('rejects generation before any run', async () => {
    await expect(makeServices().generateText({ prompt: 'The', temperature: 1, maxTokens: 3 })).rejects.toThrow(
      'Cannot generate text: no run has trained a model yet; train a language model first.',
    );
  });

  it('rejects resuming without a checkpoint', async () => {
    const project = tinyTextProject(textPath);
    project.name = 'never trained';
    await expect(makeServices().startRun(project, { resume: true })).rejects.toThrow(
      `Cannot start from saved weights: there is no checkpoint at ${join(folder, 'data', 'checkpoints', 'never-trained.safetensors')}.`,
    );
  });

  it('steps from saved weights and generates', async () => {
    const services = makeServices();
    const done = waitForEvent(services, 'done');
    await services.startRun(tinyTextProject(textPath, {}, { epochs: 1 }));
    await done;
    await services.stopRun().catch(() => undefined);

    const started = waitForEvent(services, 'started');
    const status = await services.stepRun(tinyTextProject(textPath, {}, { epochs: 1 }), { resume: true });
    await started;
    expect(status.state).not.toBe('idle');

    const result = await services.generateText({ prompt: 'the ', temperature: 0, maxTokens: 4 });
    expect(result.tokenCount).toBe(4);
  });

  it('trains, checkpoints to the data folder and generates', async () => {
    const services = makeServices();
    const events = recordEvents(services);
    const done = waitForEvent(services, 'done');
    await services.startRun(tinyTextProject(textPath, {}, { epochs: 1 }));
    await done;

    const path = await services.getCheckpointPath();
    expect(path).toBe(join(folder, 'data', 'checkpoints', 'tiny-text.safetensors'));
    expect(existsSync(path!)).toBe(true);

    const result = await services.generateText({ prompt: 'the ', temperature: 0.5, topK: 5, maxTokens: 6, seed: 2 });
    expect(result.prompt).toBe('the ');
    expect(result.tokenCount).toBe(6);
    const streamed = events.filter((event) => event.kind === 'generation').map((event) => (event.kind === 'generation' ? event.token : ''));
    expect(streamed.join('')).toBe(result.generated);

    await expect(services.generateText({ prompt: 'the', temperature: 1, maxTokens: 3, topK: 500 })).rejects.toThrow(
      'generateText: topK must be a whole number from 1 to the vocabulary size',
    );
  });

  it('probes a classifier after its run', async () => {
    const services = makeServices();
    const done = waitForEvent(services, 'done');
    await services.startRun(xorProject({ epochs: 1 }));
    await done;

    const probed = waitForEvent(services, 'activations', (event) => event.snapshot.nodeId === 'fc1');
    await services.setActivationProbe({ nodeId: 'fc1', sampleIndex: 2 });
    const { snapshot } = await probed;
    expect(snapshot.sampleIndex).toBe(2);
    expect(snapshot.values).toHaveLength(16);
    expect((await services.getRunStatus()).state).toBe('idle');
  });
});
