import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeLauncher } from '../../src/main/devices/nodeLauncher';
import { RunStateError, RunValidationError, Trainer } from '../../src/main/trainer/trainer';
import { setLogSink } from '../../src/main/log';
import type { ProjectFile, ProjectIssue } from '../../src/shared/project';
import { fakeDeviceEntry, isProcessAlive, recordEvents, recordingLauncher, waitForEvent, waitUntil, xorProject } from './helpers';

const logLines: string[] = [];
let restoreSink: (() => void) | null = null;
const trainers: Trainer[] = [];

function makeTrainer(validate: (project: ProjectFile) => ProjectIssue[] = () => []) {
  logLines.length = 0;
  restoreSink ??= setLogSink((line) => logLines.push(line));
  const launcher = recordingLauncher(createNodeLauncher(fakeDeviceEntry));
  const trainer = new Trainer({ launcher, validate, stopTimeoutMs: 2000, logIntervalMs: 0 });
  trainers.push(trainer);
  return { trainer, launcher };
}

afterEach(() => {
  for (const trainer of trainers.splice(0)) trainer.dispose();
  restoreSink?.();
  restoreSink = null;
});

describe('Trainer with a stand-in device', () => {
  it('runs to completion and returns to idle', async () => {
    const { trainer, launcher } = makeTrainer();
    const events = recordEvents(trainer);
    const done = waitForEvent(trainer, 'done');

    const status = trainer.start(xorProject({ epochs: 2 }));

    expect(status.state).toBe('starting');
    expect(status.runId).toMatch(/^[0-9a-f]{8}$/);
    const finished = await done;
    expect(finished.reason).toBe('completed');
    expect(finished.epochs).toBe(2);
    await waitUntil(() => trainer.status().state === 'idle', 5000, 'idle state');
    expect(events.filter((event) => event.kind === 'epoch')).toHaveLength(2);
    expect(events.find((event) => event.kind === 'started')).toMatchObject({ stepsPerEpoch: 5, totalSteps: 10 });
    await waitUntil(() => !isProcessAlive(launcher.handles[0].pid!), 5000, 'device exit');
  });

  it('logs run start, progress lines with units and the end', async () => {
    const { trainer } = makeTrainer();
    const done = waitForEvent(trainer, 'done');
    trainer.start(xorProject({ epochs: 1 }));
    await done;

    expect(logLines.some((line) => line.includes('[trainer]') && line.includes('starting: project "xor test"'))).toBe(true);
    expect(logLines.some((line) => /epoch 1\/1 step \d+ loss \d+\.\d{4} test acc n\/a \d+ samples\/s/.test(line))).toBe(true);
    expect(logLines.some((line) => /epoch 1\/1 train loss .* test acc 50\.00% 1000 samples\/s/.test(line))).toBe(true);
    expect(logLines.some((line) => line.includes('completed after 1 epochs'))).toBe(true);
  });

  it('pauses, steps, resumes and stops', async () => {
    const { trainer } = makeTrainer();
    const events = recordEvents(trainer);
    const running = waitForEvent(trainer, 'state', (event) => event.state === 'running');
    trainer.start(xorProject({ epochs: 1000 }));
    await running;

    expect(trainer.pause().state).toBe('paused');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stepsBefore = events.filter((event) => event.kind === 'step').length;
    const stepped = waitForEvent(trainer, 'step', (event) => event.step > stepsBefore);
    expect(trainer.step(xorProject()).state).toBe('paused');
    await stepped;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.filter((event) => event.kind === 'step').length).toBe(stepsBefore + 1);

    expect(trainer.resume().state).toBe('running');
    const stopped = waitForEvent(trainer, 'done');
    const status = await trainer.stop();

    expect(status).toEqual({ state: 'idle', runId: null });
    expect((await stopped).reason).toBe('stopped');
    const states = events.filter((event) => event.kind === 'state').map((event) => event.state);
    expect(states).toEqual(['starting', 'running', 'paused', 'running', 'stopping', 'idle']);
  });

  it('steps from idle by starting paused', async () => {
    const { trainer } = makeTrainer();
    const stepped = waitForEvent(trainer, 'step');

    trainer.step(xorProject());

    expect((await stepped).step).toBe(1);
    expect(trainer.status().state).toBe('paused');
    await trainer.stop();
  });

  it('rejects transitions that do not fit the state', async () => {
    const { trainer } = makeTrainer();

    expect(() => trainer.pause()).toThrow(RunStateError);
    expect(() => trainer.pause()).toThrow('Cannot pause: no run is active. Only a running run can be paused.');
    expect(() => trainer.resume()).toThrow('Cannot resume: no run is active.');
    await expect(trainer.stop()).rejects.toThrow('Cannot stop: no run is active. There is nothing to stop.');

    const running = waitForEvent(trainer, 'state', (event) => event.state === 'running');
    trainer.start(xorProject({ epochs: 1000 }));
    await running;
    expect(() => trainer.start(xorProject())).toThrow(/Cannot start a run: run [0-9a-f]{8} is running\. Stop it first\./);
    expect(() => trainer.resume()).toThrow(/Cannot resume: run [0-9a-f]{8} is running\. Only a paused run can be resumed\./);
    expect(() => trainer.step(xorProject())).toThrow('Pause the run before stepping.');
    await trainer.stop();
  });

  it('refuses an invalid project before launching a device', () => {
    const { trainer, launcher } = makeTrainer(() => [{ nodeId: 'fc1', port: 'in', message: 'Input is not connected.' }]);
    const events = recordEvents(trainer);

    expect(() => trainer.start(xorProject())).toThrow(RunValidationError);
    expect(launcher.handles).toHaveLength(0);
    expect(events).toEqual([
      {
        kind: 'error',
        runId: null,
        message: 'The project is invalid, so the run did not start. Fix these issues: node fc1, port in: Input is not connected.',
        issues: [{ nodeId: 'fc1', port: 'in', message: 'Input is not connected.' }],
      },
    ]);
    expect(trainer.status().state).toBe('idle');
  });

  it('reports a device error with its node id', async () => {
    const { trainer } = makeTrainer();
    const failed = waitForEvent(trainer, 'error');

    trainer.start({ ...xorProject(), name: 'fail on init' });

    expect(await failed).toMatchObject({ message: 'Dense layer has no units.', nodeId: 'fc1' });
    await waitUntil(() => trainer.status().state === 'idle', 5000, 'idle state');
  });

  it('ends the run when its device is killed', async () => {
    const { trainer, launcher } = makeTrainer();
    const running = waitForEvent(trainer, 'state', (event) => event.state === 'running');
    trainer.start(xorProject({ epochs: 1000 }));
    await running;
    const pid = launcher.handles[0].pid!;
    const failed = waitForEvent(trainer, 'error');

    process.kill(pid, 'SIGKILL');

    const error = await failed;
    expect(error.message).toContain(`Device 0 (pid ${pid}) was killed by SIGKILL`);
    expect(trainer.status().state).toBe('idle');
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('reports a device that exits at startup', async () => {
    restoreSink ??= setLogSink(() => {});
    const launcher = createNodeLauncher({ path: join(tmpdir(), 'tensorloom-no-such-device.js'), execArgv: [] });
    const trainer = new Trainer({ launcher, validate: () => [] });
    trainers.push(trainer);
    const failed = waitForEvent(trainer, 'error');

    trainer.start(xorProject());

    expect((await failed).message).toMatch(/^Device 0 \(pid \d+\) exited with code 1 before the run finished\./);
    expect(trainer.status().state).toBe('idle');
  });

  it('reports a launcher that throws', () => {
    restoreSink ??= setLogSink(() => {});
    const launcher = {
      launch: () => {
        throw new Error('spawn EAGAIN');
      },
      killAll: () => {},
    };
    const trainer = new Trainer({ launcher, validate: () => [] });
    const events = recordEvents(trainer);

    expect(() => trainer.start(xorProject())).toThrow('Device 0 could not be started: spawn EAGAIN');
    expect(events[0]).toMatchObject({ kind: 'error', message: 'Device 0 could not be started: spawn EAGAIN' });
    expect(trainer.status().state).toBe('idle');
  });
});
