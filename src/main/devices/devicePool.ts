/**
 * A pool of device processes that run one parallel plan, seen by the trainer as
 * one device. The pool starts N processes, has the launcher link every pair
 * directly (sockets under Node, MessagePorts under Electron), gives each its rank
 * in `init`, and then:
 *
 * - sends run commands (start, pause, step, stop, probe, generate) to device 0,
 *   which leads the others over the mesh, and `shutdown` to every device;
 * - passes on device 0's reports and every device's step reports, and reports
 *   `ready` once all devices are ready;
 * - on the first failure (an error report, or a process that ends before the run
 *   is done) kills every device and waits until all have exited. Then it reports
 *   the root cause, named by device index and pid. A process that died on its own
 *   comes before the errors its peers reported when their links to it broke.
 */

import type { DeviceToMainMessage, MainToDeviceMessage, ParallelDeviceSettings } from '../../shared/device';
import type { Logger } from '../log';
import type { DeviceExit, DeviceHandle, DeviceLauncher, MeshConnection } from './launcher';

/** Time the pool waits after the first failure for other processes to report, so the root cause is known. */
const FAILURE_GRACE_MS = 300;

export interface DevicePoolOptions {
  launcher: DeviceLauncher;
  /** The plan and links of every device; `mesh` is filled in by the launcher. */
  parallel: Omit<ParallelDeviceSettings, 'mesh'>;
  log: Logger;
}

export interface DevicePool extends DeviceHandle {
  readonly devices: readonly DeviceHandle[];
  /** Process ids by device index; 0 for a process that has not started. */
  pids(): number[];
}

interface DeviceRecord {
  handle: DeviceHandle;
  ready: Extract<DeviceToMainMessage, { type: 'ready' }> | null;
  done: boolean;
  exited: boolean;
  killedByPool: boolean;
  exit: DeviceExit | null;
  error: Extract<DeviceToMainMessage, { type: 'error' }> | null;
  /** Order in which failures were seen, for picking the first. */
  failureOrder: number;
}

/** Starts `options.parallel.worldSize` device processes and returns them as one handle. */
export function launchDevicePool(options: DevicePoolOptions): DevicePool {
  const { launcher, parallel, log } = options;
  if (launcher.connectMesh === undefined) {
    throw new Error('This device launcher cannot link devices to each other, so it cannot run a parallel plan. Use the Node or Electron launcher.');
  }
  const records: DeviceRecord[] = [];
  try {
    for (let index = 0; index < parallel.worldSize; index++) {
      records.push({ handle: launcher.launch(index), ready: null, done: false, exited: false, killedByPool: false, exit: null, error: null, failureOrder: -1 });
    }
  } catch (error) {
    for (const record of records) record.handle.kill();
    throw error;
  }
  const mesh: MeshConnection = launcher.connectMesh(records.map((record) => record.handle));

  const messageListeners: Array<(message: DeviceToMainMessage) => void> = [];
  const exitListeners: Array<(exit: DeviceExit) => void> = [];
  let failing = false;
  let failureCount = 0;
  let runDone = false;
  let exitReported = false;
  let blamed: DeviceRecord | null = null;

  const emit = (message: DeviceToMainMessage): void => {
    for (const listener of messageListeners) listener(message);
  };

  const killAll = (): void => {
    for (const record of records) {
      if (record.exited) continue;
      record.killedByPool = true;
      record.handle.kill();
    }
  };

  const noteFailure = (record: DeviceRecord): void => {
    if (record.failureOrder < 0) record.failureOrder = failureCount++;
    if (failing) return;
    failing = true;
    setTimeout(killAll, FAILURE_GRACE_MS).unref();
  };

  const rootCause = (): DeviceRecord | null => {
    const failed = records.filter((record) => record.failureOrder >= 0).sort((a, b) => a.failureOrder - b.failureOrder);
    const died = failed.find((record) => record.error === null && !record.killedByPool);
    return died ?? failed.find((record) => record.error !== null) ?? null;
  };

  const maybeReportExit = (): void => {
    if (exitReported || records.some((record) => !record.exited)) return;
    exitReported = true;
    mesh.dispose();
    const cause = runDone ? null : rootCause();
    blamed = cause;
    if (cause !== null && cause.error !== null) {
      const { handle } = cause;
      emit({ ...cause.error, message: `Device ${handle.deviceIndex} (pid ${handle.pid ?? 'unknown'}) failed: ${cause.error.message}` });
    }
    const exit: DeviceExit = cause?.exit ?? records[0].exit ?? { code: 0, signal: null };
    for (const listener of exitListeners) listener(cause !== null && cause.error !== null ? { code: exit.code ?? 1, signal: null } : exit);
  };

  records.forEach((record) => {
    const { handle } = record;
    handle.onMessage((message) => {
      if (message.type === 'error') {
        record.error ??= message;
        log.debug(`device ${handle.deviceIndex} reported an error: ${message.message}`);
        noteFailure(record);
        return;
      }
      if (failing) return;
      if (message.type === 'ready') {
        record.ready = message;
        if (records.every((each) => each.ready !== null)) emit(records[0].ready!);
        return;
      }
      if (message.type === 'done') {
        record.done = true;
        if (handle.deviceIndex === 0) {
          runDone = true;
          emit(message);
        }
        return;
      }
      if (message.type === 'parallel-step' || message.type === 'parallel-check') {
        emit(message);
        return;
      }
      if (message.type === 'log') {
        emit({ ...message, message: handle.deviceIndex === 0 ? message.message : `(device ${handle.deviceIndex}) ${message.message}` });
        return;
      }
      if (handle.deviceIndex === 0) emit(message);
    });
    handle.onExit((exit) => {
      record.exited = true;
      record.exit = exit;
      // Once one device has gone, the others cannot finish the run, so noteFailure ends them.
      if (!runDone && !record.killedByPool) noteFailure(record);
      maybeReportExit();
    });
  });

  const current = (): DeviceHandle => blamed?.handle ?? records[0].handle;

  return {
    devices: records.map((record) => record.handle),
    get deviceIndex() {
      return current().deviceIndex;
    },
    get pid() {
      return current().pid;
    },
    pids: () => records.map((record) => record.handle.pid ?? 0),
    send(message: MainToDeviceMessage) {
      if (message.type === 'init') {
        records.forEach((record, index) => {
          record.handle.send({ ...message, settings: { ...message.settings, deviceIndex: index, parallel: { ...parallel, mesh: mesh.settings } } });
        });
        mesh.afterInit();
        return;
      }
      if (message.type === 'shutdown') {
        for (const record of records) record.handle.send(message);
        return;
      }
      records[0].handle.send(message);
    },
    onMessage(listener) {
      messageListeners.push(listener);
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
    kill: killAll,
  };
}
