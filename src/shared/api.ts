/**
 * The app services as the renderer sees them. The same interface is served by
 * Electron IPC (through the preload) and by the web-mode WebSocket bridge; the
 * CLI calls the services object in main directly.
 */

import type { DatasetId, ProjectFile, ProjectIssue } from './project';

export interface DatasetInfo {
  id: DatasetId;
  label: string;
  description: string;
  /** Shape of one sample without the batch dimension. */
  featureShape: number[];
  classCount: number;
  trainCount: number;
  testCount: number;
}

export type ParseProjectResult =
  | { ok: true; project: ProjectFile; warnings: ProjectIssue[] }
  | { ok: false; issues: ProjectIssue[] };

export interface OpenedProject {
  /** File path in Electron, file name in web mode. */
  location: string;
  result: ParseProjectResult;
}

export interface SavedProject {
  location: string;
}

/** Which node's activations the device process reports, and for which test sample. */
export interface ActivationProbe {
  nodeId: string | null;
  sampleIndex: number;
}

export type RunState = 'idle' | 'starting' | 'running' | 'paused' | 'stopping';

export interface RunStatus {
  state: RunState;
  runId: string | null;
}

/** A histogram of values: `counts[i]` values fall in [edges[i], edges[i + 1]). */
export interface Histogram {
  edges: number[];
  counts: number[];
}

/** What flows through one node for one sample, computed in the device process. */
export interface ActivationSnapshot {
  nodeId: string;
  nodeType: string;
  sampleIndex: number;
  /** True label of the sample, if the dataset has labels. */
  label: number | null;
  /** Output values of the node for the sample, flattened. */
  values: number[];
  /** Output shape without the batch dimension. */
  shape: number[];
  /** For the input node of an image dataset: the image size in pixels. */
  image?: { width: number; height: number };
  /** For nodes with a weight matrix. */
  weightHistogram?: Histogram;
  /** Histogram of the weights' gradients from the last step; absent before the first step. */
  gradientHistogram?: Histogram;
}

export type RunEvent =
  | { kind: 'started'; runId: string; totalSteps: number; stepsPerEpoch: number }
  | { kind: 'step'; runId: string; step: number; epoch: number; loss: number; samplesPerSecond: number }
  | {
      kind: 'epoch';
      runId: string;
      epoch: number;
      trainLoss: number;
      testLoss: number;
      testAccuracy: number;
      samplesPerSecond: number;
      durationMs: number;
    }
  | { kind: 'activations'; runId: string; step: number; snapshot: ActivationSnapshot }
  | { kind: 'state'; runId: string; state: RunState }
  | { kind: 'done'; runId: string; reason: 'completed' | 'stopped'; epochs: number; testAccuracy: number | null }
  | { kind: 'error'; runId: string | null; message: string; nodeId?: string; issues?: ProjectIssue[] };

export type Unsubscribe = () => void;

export interface TensorloomApi {
  readonly platform: 'electron' | 'web';
  listDatasets(): Promise<DatasetInfo[]>;
  /** Validates a project text (from an upload or a pasted file) and returns the project or its issues. */
  parseProject(text: string, location: string): Promise<ParseProjectResult>;
  /** Shows an open dialog (Electron only); null when the user cancels. */
  openProjectDialog(): Promise<OpenedProject | null>;
  /**
   * Saves atomically (Electron only). With no known location, or with `saveAs`, shows a
   * save dialog first; null when the user cancels.
   */
  saveProjectDialog(project: ProjectFile, location: string | null, saveAs: boolean): Promise<SavedProject | null>;
  startRun(project: ProjectFile): Promise<RunStatus>;
  pauseRun(): Promise<RunStatus>;
  resumeRun(): Promise<RunStatus>;
  /** Runs one optimizer step while paused (starting paused if idle). */
  stepRun(project: ProjectFile): Promise<RunStatus>;
  stopRun(): Promise<RunStatus>;
  getRunStatus(): Promise<RunStatus>;
  setActivationProbe(probe: ActivationProbe): Promise<void>;
  onDidRunEvent(listener: (event: RunEvent) => void): Unsubscribe;
}

/** Methods callable over IPC or the WebSocket bridge, with their argument tuples. */
export type ApiMethod = Exclude<keyof TensorloomApi, 'platform' | 'onDidRunEvent'>;

export const API_METHODS: readonly ApiMethod[] = [
  'listDatasets',
  'parseProject',
  'openProjectDialog',
  'saveProjectDialog',
  'startRun',
  'pauseRun',
  'resumeRun',
  'stepRun',
  'stopRun',
  'getRunStatus',
  'setActivationProbe',
];

/** IPC channel for a method call (`invoke`), and the one channel for run events. */
export const apiChannel = (method: ApiMethod): string => `tensorloom:${method}`;
export const RUN_EVENT_CHANNEL = 'tensorloom:run-event';
