/**
 * Device processes as Electron utility processes. Only the Electron entry
 * imports this file, so the CLI, web mode and tests never load `electron`.
 */

import { MessageChannelMain, utilityProcess, type MessagePortMain, type UtilityProcess } from 'electron';
import type { DeviceToMainMessage } from '../../shared/device';
import { createLogger } from '../log';
import type { DeviceExit, DeviceHandle, DeviceLauncher, MeshConnection } from './launcher';

const log = createLogger('devices');

/** Creates a launcher that forks `entryPath` (the built out/main/device.js) per device. */
export function createElectronLauncher(entryPath: string): DeviceLauncher {
  const liveProcesses = new Set<UtilityProcess>();
  const processOf = new WeakMap<DeviceHandle, UtilityProcess>();

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

    const handle: DeviceHandle = {
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
    processOf.set(handle, child);
    return handle;
  };

  // NOTE: untested here because no Electron binary runs on this machine; the Node launcher's
  // socket mesh is what the tests exercise.
  const connectMesh = (devices: readonly DeviceHandle[]): MeshConnection => {
    const portsByDevice: MessagePortMain[][] = devices.map(() => []);
    const peersByDevice: number[][] = devices.map(() => []);
    for (let low = 0; low < devices.length; low++) {
      for (let high = low + 1; high < devices.length; high++) {
        const { port1, port2 } = new MessageChannelMain();
        portsByDevice[low].push(port1);
        peersByDevice[low].push(high);
        portsByDevice[high].push(port2);
        peersByDevice[high].push(low);
      }
    }
    return {
      settings: { kind: 'message-ports' },
      afterInit: () => {
        devices.forEach((device, index) => {
          processOf.get(device)?.postMessage({ type: 'mesh-ports', peers: peersByDevice[index] }, portsByDevice[index]);
        });
      },
      dispose: () => {},
    };
  };

  return {
    launch,
    killAll: () => {
      for (const child of liveProcesses) child.kill();
    },
    connectMesh,
  };
}
