/**
 * The device side of the main-to-device link. The same device entry runs as an
 * Electron utility process, where messages arrive on `process.parentPort`, or as a
 * Node child process with `process.send` and the `message` event. This adapter
 * hides which one delivered a message.
 */

import type { DeviceToMainMessage, MainToDeviceMessage } from '../../shared/device';

export interface ParentChannel {
  readonly runtime: 'electron' | 'node';
  /** `ports` are the MessagePorts transferred with an Electron message; a Node message has none. */
  onMessage(listener: (message: MainToDeviceMessage, ports: readonly unknown[]) => void): void;
  send(message: DeviceToMainMessage): void;
  /** Sends a last message, then ends the process with `exitCode` once the message is out. */
  sendAndExit(message: DeviceToMainMessage, exitCode: number): void;
}

/** The part of Electron's `process.parentPort` this adapter uses. */
interface ElectronParentPort {
  on(event: 'message', listener: (event: { data: unknown; ports?: unknown[] }) => void): void;
  postMessage(message: unknown): void;
}

// NOTE: Electron's parentPort.postMessage has no completion callback, so the
// Electron channel waits this long before exiting to let the last message leave.
const ELECTRON_EXIT_DELAY_MS = 100;

export function connectToParent(): ParentChannel {
  const parentPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort !== undefined) return electronChannel(parentPort);
  if (typeof process.send === 'function') return nodeChannel();
  throw new Error(
    'The device process has no parent channel: start it with child_process.fork or Electron utilityProcess.fork, not directly.',
  );
}

function electronChannel(parentPort: ElectronParentPort): ParentChannel {
  return {
    runtime: 'electron',
    onMessage: (listener) => parentPort.on('message', (event) => listener(event.data as MainToDeviceMessage, event.ports ?? [])),
    send: (message) => parentPort.postMessage(message),
    sendAndExit: (message, exitCode) => {
      parentPort.postMessage(message);
      setTimeout(() => process.exit(exitCode), ELECTRON_EXIT_DELAY_MS);
    },
  };
}

function nodeChannel(): ParentChannel {
  // Main has exited or crashed, so no process is left to read this device's reports.
  process.on('disconnect', () => process.exit(0));

  const send = (message: DeviceToMainMessage, callback?: () => void): void => {
    if (!process.connected) return;
    process.send!(message, undefined, {}, (error) => {
      if (error !== null && error !== undefined) process.exitCode = 1;
      callback?.();
    });
  };

  return {
    runtime: 'node',
    onMessage: (listener) => process.on('message', (message) => listener(message as MainToDeviceMessage, [])),
    send: (message) => send(message),
    sendAndExit: (message, exitCode) => {
      if (!process.connected) process.exit(exitCode);
      send(message, () => process.exit(exitCode));
    },
  };
}
