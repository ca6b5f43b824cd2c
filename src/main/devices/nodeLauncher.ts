/**
 * Device processes as Node child processes (`child_process.fork`), for the CLI,
 * web mode and tests. Messages use the `advanced` serialization (structured
 * clone), so Float32Arrays cross intact.
 */

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DeviceToMainMessage } from '../../shared/device';
import { createLogger } from '../log';
import type { DeviceExit, DeviceHandle, DeviceLauncher } from './launcher';
import { createMeshDirectory, removeMeshDirectory } from './socketTransport';

const log = createLogger('devices');

export interface DeviceEntry {
  /** Absolute path of the script the child runs. */
  path: string;
  /** Node flags for the child, such as `--import tsx` for a TypeScript entry. */
  execArgv: string[];
}

/**
 * Finds the device entry beside a front door: `device.js` next to a built entry
 * in out/main, or, when the front door runs from source under tsx, the
 * TypeScript entry in src/main/device.
 */
export function resolveDeviceEntry(frontDoorUrl: string): DeviceEntry {
  const built = fileURLToPath(new URL('./device.js', frontDoorUrl));
  if (existsSync(built)) return { path: built, execArgv: [] };

  const source = fileURLToPath(new URL('../device/entry.ts', frontDoorUrl));
  if (existsSync(source)) return { path: source, execArgv: ['--import', 'tsx'] };

  throw new Error(`Device entry not found: looked for ${built} and ${source}. Run \`npm run build\` first.`);
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

// Kill children when main exits, so no device outlives the process that started it.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

export function createNodeLauncher(entry: DeviceEntry): DeviceLauncher {
  installExitHook();
  const ownChildren = new Set<ChildProcess>();

  const launch = (deviceIndex: number): DeviceHandle => {
    const child = fork(entry.path, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    liveChildren.add(child);
    ownChildren.add(child);
    log.debug(`device ${deviceIndex} started as pid ${child.pid} from ${entry.path}`);

    const exitListeners: Array<(exit: DeviceExit) => void> = [];
    let ended = false;
    const end = (exit: DeviceExit): void => {
      if (ended) return;
      ended = true;
      liveChildren.delete(child);
      ownChildren.delete(child);
      for (const listener of exitListeners) listener(exit);
    };
    child.on('exit', (code, signal) => end({ code, signal }));
    child.on('error', (error) => {
      log.error(`device ${deviceIndex} process error`, error);
      child.kill('SIGKILL');
      end({ code: null, signal: null, error });
    });

    return {
      deviceIndex,
      get pid() {
        return child.pid;
      },
      send: (message) => {
        if (!child.connected) {
          log.debug(`device ${deviceIndex} is disconnected; dropped ${message.type} message`);
          return;
        }
        child.send(message, (error) => {
          if (error !== null && error !== undefined) log.warn(`sending ${message.type} to device ${deviceIndex} failed: ${error.message}`);
        });
      },
      onMessage: (listener) => {
        child.on('message', (message) => listener(message as DeviceToMainMessage));
      },
      onExit: (listener) => {
        exitListeners.push(listener);
      },
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  };

  return {
    launch,
    killAll: () => {
      for (const child of ownChildren) child.kill('SIGKILL');
    },
    // Child processes cannot receive MessagePorts, so each device listens on a Unix domain socket in a private folder.
    connectMesh: () => {
      const directory = createMeshDirectory();
      return {
        settings: { kind: 'unix-sockets', directory },
        afterInit: () => {},
        dispose: () => removeMeshDirectory(directory),
      };
    },
  };
}
