/**
 * Messages between main and a device process. Both directions are tagged unions
 * on `type`; they cross the process boundary by structured clone (Node
 * `serialization: 'advanced'` or an Electron utility-process port), so typed
 * arrays arrive intact.
 */

import type {
  ActivationProbe,
  ActivationSnapshot,
  AttentionSnapshot,
  GenerationRequest,
  LinkSettings,
  ParallelCheckResult,
  ParallelStepReport,
  TokenProbability,
} from './api';
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
  /** Path of the checkpoints (safetensors) the device writes; null or absent writes none. */
  checkpointPath?: string | null;
  /** A checkpoint to load before training; its names, shapes and vocabulary must match the project. */
  resumeFrom?: string | null;
  /** Folder that a relative `dataset.path` is resolved against. Default: the device's working directory. */
  projectFolder?: string | null;
  /** Set when this device is one of several running a parallel plan. */
  parallel?: ParallelDeviceSettings;
}

/** Connection settings by which the devices of a parallel run reach each other without going through main. */
export type MeshLinkSettings =
  /** Node child processes: device i listens on `<directory>/device-<i>.sock` and connects to every lower rank. */
  | { kind: 'unix-sockets'; directory: string }
  /** Electron utility processes: main sends a `mesh-ports` message with one MessagePort per peer. */
  | { kind: 'message-ports' };

/** A device's place in a parallel run. */
export interface ParallelDeviceSettings {
  worldSize: number;
  dataParallel: number;
  tensorParallel: number;
  sequenceParallel: boolean;
  /** Layer names in the tensor-parallel group. */
  tensorGroup: string[];
  /** User overrides of the sharding, by layer name. */
  sharding: Record<string, 'column' | 'row' | 'heads' | 'replicated'>;
  mesh: MeshLinkSettings;
  /** Maximum wait for a peer's tensor, in milliseconds, before the device fails naming the peer. */
  receiveTimeoutMs: number;
  /** Link of the step cost estimate. */
  link: LinkSettings;
  /** With a step count, the devices run a check against one device instead of training. */
  checkSteps?: number;
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
  /** Ends a device that stayed up after its run to handle probes and generation. */
  | { type: 'shutdown' }
  /** Electron only: the ports to the other devices of a parallel run, transferred with the message, in the order of `peers`. */
  | { type: 'mesh-ports'; peers: number[] };

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
   * The run ended. The device stays up afterwards to handle `set-probe` and `generate` until
   * main sends `shutdown` or kills it.
   */
  | { type: 'done'; reason: 'completed' | 'stopped'; epochs: number; testAccuracy: number | null }
  /** A failure that ends the run; `nodeId` names the graph node when the error came from one. */
  | { type: 'error'; message: string; nodeId?: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  /** A parallel device's step report (throttled). */
  | { type: 'parallel-step'; report: ParallelStepReport }
  /** Device 0 of a check: the comparison with one device, without the step reports, which main collects. */
  | { type: 'parallel-check'; result: Omit<ParallelCheckResult, 'stepReports' | 'devicePids' | 'durationMs'> };
