/**
 * Device processes as Electron utility processes. Only the Electron entry
 * imports this file, so the CLI, web mode and tests never load `electron`.
 */

import { utilityProcess, type UtilityProcess } from 'electron';
import type { DeviceToMainMessage } from '../../shared/device';
import { createLogger } from '../log';
import type { DeviceExit, DeviceHandle, DeviceLauncher } from './launcher';

const log = createLogger('devices');

/** Creates a launcher that forks `entryPath` (the built out/main/device.js) per device. */
export function createElectronLauncher(entryPath: string): DeviceLauncher {
  const liveProcesses = new Set<UtilityProcess>();

  const launch = (deviceIndex: number): DeviceHandle => {
    // NOTE: device.js is an ES module, and loading it in an Electron 45 utility process is
    // untested because no Electron binary runs here. If it fails, build the device entry as CommonJS.
    const child = utilityProcess.fork(entryPath, [], {
      serviceName: `Tensorloom device ${deviceIndex}`,
      stdio: 'inherit',
    });
    liveProcesses.add(child);
    let exited = false;
    const exitListeners: Array<(exit: DeviceExit) => void> = [];

    child.on('exit', (code) => {
      exited = true;
      liveProcesses.delete(child);
      for (const listener of exitListeners) listener({ code, signal: null });
    });
    child.on('error', (type, location) => {
      log.error(`device ${deviceIndex} reported ${type} at ${location}`);
    });

    return {
      deviceIndex,
      get pid() {
        return child.pid;
      },
      send: (message) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => {
        child.on('message', (message: unknown) => listener(message as DeviceToMainMessage));
      },
      onExit: (listener) => {
        exitListeners.push(listener);
      },
      kill: () => {
        if (!exited) child.kill();
      },
    };
  };

  return {
    launch,
    killAll: () => {
      for (const child of liveProcesses) child.kill();
    },
  };
}
