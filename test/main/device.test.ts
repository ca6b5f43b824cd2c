import { afterEach, describe, expect, it } from 'vitest';
import { createNodeLauncher } from '../../src/main/devices/nodeLauncher';
import { setLogSink } from '../../src/main/log';
import { Trainer } from '../../src/main/trainer/trainer';
import type { RunEvent } from '../../src/shared/api';
import type { ProjectFile } from '../../src/shared/project';
import { isProcessAlive, realDeviceEntry, recordEvents, recordingLauncher, waitForEvent, waitUntil, xorProject } from './helpers';

const trainers: Trainer[] = [];
let restoreSink: (() => void) | null = null;

const launcher = recordingLauncher(createNodeLauncher(realDeviceEntry));

function makeTrainer(): Trainer {
  restoreSink ??= setLogSink(() => {});
  const trainer = new Trainer({ launcher, validate: () => [], snapshotIntervalMs: 50 });
  trainers.push(trainer);
  return trainer;
}

afterEach(() => {
  for (const trainer of trainers.splice(0)) trainer.dispose();
  restoreSink?.();
  restoreSink = null;
});

function mnistSubsetProject(): ProjectFile {
  const project = xorProject({ epochs: 2, batchSize: 32, learningRate: 0.005, optimizer: 'adam' });
  project.name = 'mnist subset';
  project.dataset = { id: 'mnist', trainLimit: 1000, testLimit: 200 };
  project.graph.nodes[1].params = { units: 32 };
  project.graph.nodes[3].params = { units: 10 };
  return project;
}

function epochEvents(events: RunEvent[]): Extract<RunEvent, { kind: 'epoch' }>[] {
  return events.filter((event): event is Extract<RunEvent, { kind: 'epoch' }> => event.kind === 'epoch');
}

describe('device process', () => {
  it('trains xor until the loss falls', async () => {
    const trainer = makeTrainer();
    const events = recordEvents(trainer);
    const done = waitForEvent(trainer, 'done');

    trainer.start(xorProject({ epochs: 8, optimizer: 'adam', learningRate: 0.02 }));
    const finished = await done;

    const epochs = epochEvents(events);
    expect(finished.reason).toBe('completed');
    expect(epochs).toHaveLength(8);
    expect(epochs[7].trainLoss).toBeLessThan(epochs[0].trainLoss);
    expect(epochs[7].testAccuracy).toBeGreaterThan(0.9);
    expect(epochs[0].samplesPerSecond).toBeGreaterThan(0);
    await waitUntil(() => trainer.status().state === 'idle', 5000, 'idle state');
  });

  it('trains an MNIST subset until the loss falls', async () => {
    const trainer = makeTrainer();
    const events = recordEvents(trainer);
    const done = waitForEvent(trainer, 'done', () => true, 60_000);

    trainer.start(mnistSubsetProject());
    await done;

    const epochs = epochEvents(events);
    const steps = events.filter((event) => event.kind === 'step');
    expect(epochs).toHaveLength(2);
    expect(epochs[1].trainLoss).toBeLessThan(epochs[0].trainLoss);
    expect(steps.length).toBeGreaterThan(0);
    expect(steps[steps.length - 1].loss).toBeLessThan(steps[0].loss);
    expect(epochs[1].testAccuracy).toBeGreaterThan(0.5);
  });

  it('streams snapshots for the probed node', async () => {
    const trainer = makeTrainer();
    const events = recordEvents(trainer);
    trainer.setProbe({ nodeId: 'input', sampleIndex: 3 });
    const paused = waitForEvent(trainer, 'activations');

    trainer.step(mnistSubsetProject());
    const input = (await paused).snapshot;

    expect(input.nodeType).toBe('Input');
    expect(input.image).toEqual({ width: 28, height: 28 });
    expect(input.values).toHaveLength(784);
    expect(input.sampleIndex).toBe(3);

    const denseSnapshot = waitForEvent(trainer, 'activations', (event) => event.snapshot.nodeId === 'fc1');
    trainer.setProbe({ nodeId: 'fc1', sampleIndex: 3 });
    const dense = (await denseSnapshot).snapshot;
    expect(dense.shape).toEqual([32]);
    expect(dense.weightHistogram?.counts.reduce((sum, count) => sum + count, 0)).toBe(784 * 32);
    expect(dense.gradientHistogram).toBeDefined();

    const lossSnapshot = waitForEvent(trainer, 'activations', (event) => event.snapshot.nodeId === 'loss');
    trainer.setProbe({ nodeId: 'loss', sampleIndex: 3 });
    const loss = (await lossSnapshot).snapshot;
    expect(loss.values).toHaveLength(10);
    expect(loss.values.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 5);
    expect(loss.label).toBe(input.label);

    await trainer.stop();
    expect(events.some((event) => event.kind === 'done' && event.reason === 'stopped')).toBe(true);
  });

  it('reports a graph error with its node id', async () => {
    const trainer = makeTrainer();
    const project = xorProject();
    project.graph.edges = project.graph.edges.filter((edge) => edge.id !== 'e3');
    const failed = waitForEvent(trainer, 'error');

    trainer.start(project);

    const error = await failed;
    expect(error.nodeId).toBe('fc2');
    expect(error.message).toContain('fc2');
    await waitUntil(() => trainer.status().state === 'idle', 5000, 'idle state');
  });

  it('ends the run when the device is killed mid-run', async () => {
    const trainer = makeTrainer();
    const stepped = waitForEvent(trainer, 'step');
    trainer.start(xorProject({ epochs: 10_000 }));
    await stepped;
    const pid = launcher.handles[launcher.handles.length - 1].pid!;
    const failed = waitForEvent(trainer, 'error');

    process.kill(pid, 'SIGKILL');

    const error = await failed;
    expect(error.message).toContain(`Device 0 (pid ${pid}) was killed by SIGKILL`);
    expect(trainer.status()).toEqual({ state: 'idle', runId: null });
    expect(isProcessAlive(pid)).toBe(false);
  });
});
