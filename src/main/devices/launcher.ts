/**
 * Launchers for device processes. The trainer talks to a device through a
 * `DeviceHandle`, so it does not depend on whether the device is an Electron
 * utility process or a Node child process. The front door picks the launcher.
 */

import type { DeviceToMainMessage, MainToDeviceMessage, MeshLinkSettings } from '../../shared/device';

export interface DeviceExit {
  /** Process exit code, or null when a signal ended the process. */
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started or the link to it failed. */
  error?: Error;
}

export interface DeviceHandle {
  readonly deviceIndex: number;
  /** Operating-system process id; undefined until the process has started. */
  readonly pid: number | undefined;
  send(message: MainToDeviceMessage): void;
  onMessage(listener: (message: DeviceToMainMessage) => void): void;
  /** Called once, when the process has ended for any reason. */
  onExit(listener: (exit: DeviceExit) => void): void;
  /** Ends the process at once (SIGKILL where the platform has it); safe to call twice. */
  kill(): void;
}

export interface DeviceLauncher {
  launch(deviceIndex: number): DeviceHandle;
  /** Kills every device process this launcher started that is still alive. */
  killAll(): void;
  /**
   * Prepares direct links between every pair of `devices` (launched by this launcher, in
   * rank order), so tensors go device to device and not through main. Absent on a
   * launcher that cannot link devices.
   */
  connectMesh?(devices: readonly DeviceHandle[]): MeshConnection;
}

/** The links of one parallel run's devices. */
export interface MeshConnection {
  /** What each device's `init` carries to find its peers. */
  settings: MeshLinkSettings;
  /** Called right after every device got its `init`; Electron sends the ports then. */
  afterInit(): void;
  /** Removes what the links left behind, once every device has exited. */
  dispose(): void;
}

export function describeDeviceExit(deviceIndex: number, pid: number | undefined, exit: DeviceExit): string {
  const processName = pid === undefined ? `Device ${deviceIndex}` : `Device ${deviceIndex} (pid ${pid})`;
  if (exit.error !== undefined) return `${processName} failed: ${exit.error.message}`;
  const cause = exit.signal !== null ? `was killed by ${exit.signal} (exit code ${exit.code ?? 'none'})` : `exited with code ${exit.code}`;
  return `${processName} ${cause} before the run finished. Start the run again; if it repeats, run with TENSORLOOM_LOG=debug and check the device log.`;
}
