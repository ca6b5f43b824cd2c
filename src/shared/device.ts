/**
 * Messages between main and a device process. Both directions are tagged unions
 * on `type`; they cross the process boundary by structured clone (Node
 * `serialization: 'advanced'` or an Electron utility-process port), so typed
 * arrays arrive intact.
 */

import type { ActivationProbe, ActivationSnapshot, AttentionSnapshot, GenerationRequest, TokenProbability } from './api';
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
  /** Where the device writes checkpoints (safetensors); null or absent writes none. */
  checkpointPath?: string | null;
  /** A checkpoint to load before training; its names, shapes and vocabulary must match the project. */
  resumeFrom?: string | null;
  /** Folder that a relative `dataset.path` is resolved against. Default: the device's working directory. */
  projectFolder?: string | null;
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
  | { type: 'set-probe'; probe: ActivationProbe }
  /** Generates text with the current model, between training steps or after the run ended. */
  | { type: 'generate'; requestId: string; request: GenerationRequest }
  /** Ends a device that stayed up after its run to answer probes and generation. */
  | { type: 'shutdown' };

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
      /** Language models: the vocabulary size and where the text came from. */
      vocabularySize?: number;
      textSource?: string;
    }
  | { type: 'step'; step: number; epoch: number; loss: number; samplesPerSecond: number; tokensPerSecond?: number }
  | {
      type: 'epoch';
      epoch: number;
      trainLoss: number;
      testLoss: number;
      testAccuracy: number;
      samplesPerSecond: number;
      durationMs: number;
      unigramEntropyNats?: number;
      tokensPerSecond?: number;
    }
  | { type: 'activations'; step: number; snapshot: ActivationSnapshot }
  | { type: 'attention'; step: number; snapshot: AttentionSnapshot }
  | { type: 'checkpoint'; path: string; epoch: number; step: number }
  | { type: 'generation-token'; requestId: string; index: number; tokenId: number; token: string; candidates: TokenProbability[] }
  | { type: 'generation-done'; requestId: string; prompt: string; generated: string; tokenCount: number }
  | { type: 'generation-error'; requestId: string; message: string }
  | { type: 'state'; state: DeviceRunState }
  /**
   * The run ended. The device stays up afterwards to answer `set-probe` and `generate` until
   * main sends `shutdown` or kills it.
   */
  | { type: 'done'; reason: 'completed' | 'stopped'; epochs: number; testAccuracy: number | null }
  /** A failure that ends the run; `nodeId` names the graph node when the error came from one. */
  | { type: 'error'; message: string; nodeId?: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string };
