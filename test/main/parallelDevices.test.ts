/**
 * Parallel plans on real device processes: Node child processes linked pairwise
 * by Unix domain sockets, driven through the app services as the app, web mode
 * and the command line drive them.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParallelCheckResult, ParallelStepReport, RunEvent } from '../../src/shared/api';
import type { ProjectFile } from '../../src/shared/project';
import { parseProject } from '../../src/engine/io/project';
import { compileGraph } from '../../src/engine/graph/compile';
import { Rng } from '../../src/engine/tensor/random';
import { readCheckpoint } from '../../src/main/device/checkpoint';
import { createNodeLauncher } from '../../src/main/devices/nodeLauncher';
import { createServices, type AppServices } from '../../src/main/services/services';
import { isProcessAlive, realDeviceEntry, recordEvents, repoRoot, waitForEvent, waitUntil, xorProject } from './helpers';

const TOLERANCE = 1e-5;

function example(name: string): ProjectFile {
  const path = join(repoRoot, 'resources/examples', name);
  const parsed = parseProject(readFileSync(path, 'utf8'), path);
  if (!parsed.ok) throw new Error(`${name} is invalid: ${JSON.stringify(parsed.issues)}`);
  return parsed.project;
}

/** The XOR MLP with a DeviceMesh node and fc1, relu1 and fc2 in a tensor-parallel group. */
function xorPlanProject(dataParallel: number, tensorParallel: number, overrides: Partial<ProjectFile['training']> = {}): ProjectFile {
  const project = xorProject(overrides);
  const grouped = new Set(tensorParallel > 1 ? ['fc1', 'relu1', 'fc2'] : []);
  project.graph.nodes = project.graph.nodes.map((node) => (grouped.has(node.id) ? { ...node, parentId: 'group' } : node));
  project.graph.nodes.push({ id: 'mesh', type: 'DeviceMesh', position: { x: 0, y: -100 }, params: { dataParallel, tensorParallel, sequenceParallel: false } });
  if (tensorParallel > 1) project.graph.nodes.push({ id: 'group', type: 'TensorParallelGroup', position: { x: 200, y: -50 }, params: {} });
  return project;
}

function callsOf(report: ParallelStepReport, phase: string, kind: 'all-reduce' | 'all-gather' | 'reduce-scatter' | 'broadcast'): number {
  return report.collectivesByPhase[phase][kind].calls;
}

let services: AppServices | null = null;
let scratch: string | null = null;

function newServices(checkpointPath?: string): AppServices {
  services = createServices({
    launcher: createNodeLauncher(realDeviceEntry),
    stepReportIntervalMs: 0,
    ...(checkpointPath === undefined ? {} : { checkpointPathFor: () => checkpointPath }),
  });
  return services;
}

afterEach(() => {
  services?.dispose();
  services = null;
  if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
  scratch = null;
});

function expectWithinTolerance(result: ParallelCheckResult): void {
  expect(result.maxLossRelative).toBeLessThanOrEqual(TOLERANCE);
  expect(result.maxParameterRelative).toBeLessThanOrEqual(TOLERANCE);
  expect(result.planLosses).toHaveLength(result.steps);
}

describe('checkParallel on device processes', () => {
  it('matches one device under data parallelism', async () => {
    const result = await newServices().checkParallel(example('mnist-mlp-dp2.json'), { steps: 10 });

    expectWithinTolerance(result);
    expect(result.devicePids).toHaveLength(2);
    expect(new Set(result.devicePids).size).toBe(2);
    expect(result.stepReports).toHaveLength(10);
    for (const report of result.stepReports[9]) {
      expect(callsOf(report, 'gradient-sync', 'all-reduce')).toBe(1);
      expect(report.collectives['all-reduce'].calls).toBe(1);
      expect(report.collectives['all-gather'].calls).toBe(0);
    }
  });

  it('matches one device under tensor parallelism', async () => {
    const result = await newServices().checkParallel(example('mnist-mlp-tp2.json'), { steps: 10 });

    expectWithinTolerance(result);
    expect(result.plan.sharding).toEqual({ fc1: 'column', fc2: 'row' });
    for (const report of result.stepReports[0]) {
      // The row-parallel fc2 sums its partial outputs once, and nothing else communicates.
      expect(callsOf(report, 'forward', 'all-reduce')).toBe(1);
      expect(callsOf(report, 'gradient-sync', 'all-reduce')).toBe(0);
      expect(report.collectives['all-reduce'].calls).toBe(1);
    }
  });

  it('matches one device on a 2 × 2 mesh', async () => {
    const result = await newServices().checkParallel(xorPlanProject(2, 2, { batchSize: 16 }), { steps: 10 });

    expectWithinTolerance(result);
    expect(result.stepReports[0].map((report) => [report.dataIndex, report.tensorIndex])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    for (const report of result.stepReports[0]) {
      expect(callsOf(report, 'forward', 'all-reduce')).toBe(1);
      expect(callsOf(report, 'gradient-sync', 'all-reduce')).toBe(1);
      expect(report.memory.parameterBytes).toBeGreaterThan(0);
      expect(report.estimate.stepMs).toBeGreaterThanOrEqual(report.estimate.computeMs);
    }
  });

  it('matches one device with sequence parallelism', async () => {
    const result = await newServices().checkParallel(example('transformer-tp2-sp.json'), { steps: 10 });

    expectWithinTolerance(result);
    expect(result.plan.sequenceParallel).toBe(true);
    for (const report of result.stepReports[0]) {
      // Attention and the feed-forward each start with an all-gather of the sequence and end
      // with a reduce-scatter in place of an all-reduce. The backward pass mirrors them.
      expect(callsOf(report, 'forward', 'all-gather')).toBe(2);
      expect(callsOf(report, 'forward', 'reduce-scatter')).toBe(2);
      expect(callsOf(report, 'forward', 'all-reduce')).toBe(0);
      expect(callsOf(report, 'backward', 'all-gather')).toBe(2);
      expect(callsOf(report, 'backward', 'reduce-scatter')).toBe(2);
      // Replicated norms saw a slice of the sequence, so their gradients are summed once.
      expect(callsOf(report, 'gradient-sync', 'all-reduce')).toBe(1);
    }
  });

  it('rejects a device count that differs from the mesh', async () => {
    const check = newServices().checkParallel(example('mnist-mlp-tp2.json'), { steps: 1, deviceCount: 3 });

    await expect(check).rejects.toThrow(/DeviceMesh node "mesh" needs data 1 × tensor 2 = 2/);
  });
});

describe('parallel training runs', () => {
  it('reports collectives and writes a one-device checkpoint', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tensorloom-parallel-'));
    const checkpointPath = join(scratch, 'xor.safetensors');
    const project = xorPlanProject(1, 2, { epochs: 2, batchSize: 32 });
    const running = newServices(checkpointPath);
    const events = recordEvents(running);

    const done = waitForEvent(running, 'done');
    await running.startRun(project);
    await done;

    const started = events.find((event): event is Extract<RunEvent, { kind: 'parallel-started' }> => event.kind === 'parallel-started');
    expect(started?.devicePids).toHaveLength(2);
    const stepReports = events.filter((event): event is Extract<RunEvent, { kind: 'parallel-step' }> => event.kind === 'parallel-step');
    expect(new Set(stepReports.map((event) => event.report.deviceIndex))).toEqual(new Set([0, 1]));
    expect(events.filter((event) => event.kind === 'epoch')).toHaveLength(2);

    const saved = readCheckpoint(checkpointPath);
    const oneDevice = compileGraph(project.graph, { featureShape: [2], classCount: 2 }, new Rng(1));
    expect([...saved.tensors.keys()].sort()).toEqual([...oneDevice.parameters.keys()].sort());
    expect(saved.tensors.get('fc1.weight')?.shape).toEqual([16, 2]);
  });

  it('trains the same weights as one device', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tensorloom-parallel-'));
    const training = { epochs: 2, batchSize: 32 };
    const oneDevicePath = join(scratch, 'one.safetensors');
    const planPath = join(scratch, 'plan.safetensors');
    const oneDevice = { ...xorProject(training), dataset: { id: 'xor' as const, trainLimit: 128 } };
    const plan = { ...xorPlanProject(2, 2, training), dataset: { id: 'xor' as const, trainLimit: 128 } };

    for (const [project, path] of [[oneDevice, oneDevicePath], [plan, planPath]] as const) {
      const running = newServices(path);
      const done = waitForEvent(running, 'done');
      await running.startRun(project);
      await done;
      running.dispose();
    }

    const expected = readCheckpoint(oneDevicePath).tensors;
    const actual = readCheckpoint(planPath).tensors;
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, tensor] of expected) {
      const other = actual.get(name)!.data;
      const largest = Math.max(...tensor.data.map(Math.abs), 1e-6);
      const difference = Math.max(...tensor.data.map((value, index) => Math.abs(value - other[index])));
      expect(difference / largest, name).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('pauses, steps and stops', async () => {
    const running = newServices();
    const events = recordEvents(running);

    await running.stepRun(xorPlanProject(2, 1, { epochs: 50, batchSize: 32 }));
    await waitForEvent(running, 'step', (event) => event.step === 1);
    await running.stepRun(xorPlanProject(2, 1));
    await waitForEvent(running, 'step', (event) => event.step === 2);
    const status = await running.stopRun();

    expect(status.state).toBe('idle');
    expect(events.filter((event) => event.kind === 'step').map((event) => (event as { step: number }).step)).toEqual([1, 2]);
    expect(events.find((event) => event.kind === 'done')).toMatchObject({ reason: 'stopped' });
  });

  it('rejects --devices that differs from the mesh', async () => {
    const running = newServices();

    await expect(running.startRun(xorPlanProject(1, 2), { deviceCount: 4 })).rejects.toThrow(/needs data 1 × tensor 2 = 2/);
    expect((await running.getRunStatus()).state).toBe('idle');
  });

  it('runs data parallel from a device count alone', async () => {
    const running = newServices();
    const started = waitForEvent(running, 'parallel-started');
    const done = waitForEvent(running, 'done');

    await running.startRun(xorProject({ epochs: 1, batchSize: 32 }), { deviceCount: 2 });

    expect((await started).plan.dataParallel).toBe(2);
    expect((await done).reason).toBe('completed');
  });

  it.each([1, 0])('stops cleanly when device %i is killed', async (killed) => {
    scratch = mkdtempSync(join(tmpdir(), 'tensorloom-parallel-'));
    const checkpointPath = join(scratch, 'xor.safetensors');
    const project = xorPlanProject(2, 1, { epochs: 10_000, batchSize: 32, checkpointEveryEpochs: 1 });
    const running = newServices(checkpointPath);

    const started = waitForEvent(running, 'parallel-started');
    const checkpointed = waitForEvent(running, 'checkpoint');
    await running.startRun(project);
    const { devicePids } = await started;
    await checkpointed;
    const failed = waitForEvent(running, 'error');
    process.kill(devicePids[killed], 'SIGKILL');

    const error = await failed;
    expect(error.message).toContain(`Device ${killed} (pid ${devicePids[killed]}) was killed by SIGKILL`);
    await waitUntil(() => devicePids.every((pid) => !isProcessAlive(pid)), 5000, 'every device process to exit');
    expect((await running.getRunStatus()).state).toBe('idle');
    expect(readCheckpoint(checkpointPath).tensors.has('fc1.weight')).toBe(true);

    const again = waitForEvent(running, 'done');
    await running.startRun({ ...project, training: { ...project.training, epochs: 1 } });
    expect((await again).reason).toBe('completed');
  });
});
