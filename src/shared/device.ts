/**
 * Messages between main and a device process. Both directions are tagged unions
 * on `type`; they cross the process boundary by structured clone (Node
 * `serialization: 'advanced'` or an Electron utility-process port), so typed
 * arrays arrive intact.
 */

import type { ActivationProbe, ActivationSnapshot } from './api';
import type { ProjectFile } from './project';

/** Run settings that main chooses for one device process: its index, report rates and probe. */
export interface DeviceSettings {
  /** Index of this device in the pool, used in log scopes and error messages. */
  deviceIndex: number;
  /** Minimum gap between two step-loss messages. */
  stepReportIntervalMs: number;
  /** Minimum gap between two activation snapshots while running. */
  snapshotIntervalMs: number;
  /** The node and test sample that activation snapshots show; a null node id turns them off. */
  probe: ActivationProbe;
}

export type MainToDeviceMessage =
  | { type: 'init'; runId: string; project: ProjectFile; settings: DeviceSettings }
  /** Begins training; with `paused`, stays paused until `resume` or `step`. */
  | { type: 'start'; paused: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  /** Runs one optimizer step and stays paused. */
  | { type: 'step' }
  /** Ends training after the current step; the device then sends `done` with reason `stopped`. */
  | { type: 'stop' }
  | { type: 'set-probe'; probe: ActivationProbe };

export type DeviceRunState = 'running' | 'paused';

export type DeviceToMainMessage =
  /** Dataset loaded and model compiled; sizes of the run that `start` begins. */
  | {
      type: 'ready';
      stepsPerEpoch: number;
      totalSteps: number;
      parameterCount: number;
      trainCount: number;
      testCount: number;
    }
  | { type: 'step'; step: number; epoch: number; loss: number; samplesPerSecond: number }
  | {
      type: 'epoch';
      epoch: number;
      trainLoss: number;
      testLoss: number;
      testAccuracy: number;
      samplesPerSecond: number;
      durationMs: number;
    }
  | { type: 'activations'; step: number; snapshot: ActivationSnapshot }
  | { type: 'state'; state: DeviceRunState }
  | { type: 'done'; reason: 'completed' | 'stopped'; epochs: number; testAccuracy: number | null }
  /** A failure that ends the run; `nodeId` names the graph node when the error came from one. */
  | { type: 'error'; message: string; nodeId?: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string };
