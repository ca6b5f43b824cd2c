/**
 * The check of a plan against one device on real device processes. The pool runs
 * k steps of the plan, and device 0 also runs the same steps on the whole model in
 * its own process. Device 0 then compares the losses and the gathered parameters.
 */

import type { ParallelCheckOptions, ParallelCheckResult, ParallelStepReport } from '../../shared/api';
import type { DeviceToMainMessage } from '../../shared/device';
import type { ProjectFile } from '../../shared/project';
import { launchDevicePool } from '../devices/devicePool';
import type { DeviceLauncher } from '../devices/launcher';
import { describeDeviceExit } from '../devices/launcher';
import type { Logger } from '../log';
import { DEFAULT_RECEIVE_TIMEOUT_MS, DeviceCountError, parallelDeviceSettings, parallelRunOf } from './parallelRun';
import { RunValidationError } from './trainer';

export const MAX_CHECK_STEPS = 1000;

export interface ParallelCheckContext {
  launcher: DeviceLauncher;
  log: Logger;
  receiveTimeoutMs?: number;
  projectFolder?: string | null;
}

/** Runs the check of `project`'s plan; rejects naming the device when one fails. */
export function runParallelCheck(project: ProjectFile, options: ParallelCheckOptions, context: ParallelCheckContext): Promise<ParallelCheckResult> {
  const { steps } = options;
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_CHECK_STEPS) {
    return Promise.reject(new RangeError(`Invalid step count ${String(steps)}: check with 1 to ${MAX_CHECK_STEPS} steps.`));
  }
  let run;
  try {
    run = parallelRunOf(project, options.deviceCount);
  } catch (error) {
    if (error instanceof DeviceCountError) return Promise.reject(new RunValidationError(error.issues));
    return Promise.reject(error);
  }
  if (run === null) {
    return Promise.reject(
      new Error('The project runs on one device, so there is no plan to check. Add a DeviceMesh node with 2 or more devices, or pass a device count above 1.'),
    );
  }

  const startedMs = Date.now();
  const settings = parallelDeviceSettings(run, context.receiveTimeoutMs ?? DEFAULT_RECEIVE_TIMEOUT_MS, options.link ?? { preset: 'nvlink' }, steps);
  const pool = launchDevicePool({ launcher: context.launcher, parallel: settings, log: context.log });
  context.log.info(`parallel check of "${project.name}" started: ${steps} steps on ${run.worldSize} devices, pids ${pool.pids().join(', ')}`);

  const reports: ParallelStepReport[][] = Array.from({ length: steps }, () => []);
  let comparison: Extract<DeviceToMainMessage, { type: 'parallel-check' }>['result'] | null = null;
  let failure: string | null = null;

  return new Promise<ParallelCheckResult>((resolve, reject) => {
    pool.onMessage((message) => {
      switch (message.type) {
        case 'ready':
          return;
        case 'parallel-step':
          reports[message.report.step - 1]?.push(message.report);
          return;
        case 'parallel-check':
          comparison = message.result;
          return;
        case 'done':
          // Every device stays up after `done`; the check needs nothing more from them.
          pool.send({ type: 'shutdown' });
          return;
        case 'error':
          failure = message.message;
          return;
        case 'log':
          context.log[message.level](`parallel check: ${message.message}`);
          return;
        default:
          return;
      }
    });
    pool.onExit((exit) => {
      if (comparison !== null && failure === null) {
        for (const stepReports of reports) stepReports.sort((a, b) => a.deviceIndex - b.deviceIndex);
        const durationMs = Date.now() - startedMs;
        context.log.info(
          `parallel check of "${project.name}" finished in ${durationMs} ms: loss max relative difference ${comparison.maxLossRelative.toExponential(2)}, parameters ${comparison.maxParameterRelative.toExponential(2)}`,
        );
        resolve({ ...comparison, stepReports: reports, devicePids: pool.pids(), durationMs });
        return;
      }
      const message = failure ?? describeDeviceExit(pool.deviceIndex, pool.pid, exit);
      context.log.error(`parallel check of "${project.name}" failed: ${message}`);
      reject(new Error(`The parallel check failed: ${message}`));
    });
    pool.send({
      type: 'init',
      runId: `check-${startedMs.toString(36)}`,
      project,
      settings: { deviceIndex: 0, stepReportIntervalMs: 0, snapshotIntervalMs: 0, probe: { nodeId: null, sampleIndex: 0 }, projectFolder: context.projectFolder ?? null },
    });
  });
}
