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
  /** `language-model` for the text datasets, whose counts and shapes are 0 and [] until the text is loaded. Absent means classification. */
  task?: DatasetTask;
}

export type DatasetTask = 'classification' | 'language-model';

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

/** File formats a project exports to: the project JSON, its weights, an ONNX model or PyTorch code. */
export type ExportFormat = 'config' | 'safetensors' | 'onnx' | 'pytorch';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['config', 'safetensors', 'onnx', 'pytorch'];

/**
 * Where the weights of an export come from.
 * - `latest`: the weights imported last or the last run's checkpoint, whichever is newer;
 *   without either, weights freshly initialised from the project's seed, with a warning.
 * - `checkpoint`: the last run's checkpoint only; the export fails when there is none.
 * - `file`: a safetensors file on the machine running the services (desktop app only).
 * - `initial`: weights freshly initialised from the project's seed, as a run starts.
 */
export type WeightsSource =
  | { kind: 'latest' }
  | { kind: 'checkpoint' }
  | { kind: 'file'; path: string }
  | { kind: 'initial' };

export interface ExportRequest {
  format: ExportFormat;
  project: ProjectFile;
  /** Defaults to `{ kind: 'latest' }`. The config format has no weights and ignores it. */
  weights?: WeightsSource;
}

export type ExportResult =
  /** Desktop app: the file was written at `location`. */
  | { kind: 'file'; format: ExportFormat; location: string; byteCount: number; weightsFrom: string | null; warnings: string[] }
  /** Web mode: the renderer saves `base64` (the file's bytes) as `fileName`. */
  | {
      kind: 'download';
      format: ExportFormat;
      fileName: string;
      mimeType: string;
      base64: string;
      byteCount: number;
      weightsFrom: string | null;
      warnings: string[];
    };

export interface ImportWeightsRequest {
  /** The project whose graph the weights must fit. */
  project: ProjectFile;
  /** The safetensors file's bytes, base64-encoded; required in web mode. */
  base64?: string;
  /** Name of the uploaded file, used in messages. */
  fileName?: string;
}

/** One tensor that does not fit the graph: missing from the file, not in the graph, or of another shape. */
export interface WeightsIssue {
  tensorName: string;
  problem: 'missing' | 'unexpected' | 'shape';
  message: string;
  /** Shape the graph needs; absent for an unexpected tensor. */
  expectedShape?: number[];
  /** Shape in the file; absent for a missing tensor. */
  actualShape?: number[];
}

export type ImportWeightsResult =
  | { ok: true; location: string; tensorCount: number; parameterCount: number; warnings: string[] }
  /** `message` sums up the failure; `issues` lists each tensor that does not fit (empty when the file itself is invalid). */
  | { ok: false; location: string; message: string; issues: WeightsIssue[] };

export interface OpenedProjectWithWeights extends OpenedProject {
  /** The weights file beside the project and how loading it went; null when there is none. */
  weights: ImportWeightsResult | null;
}

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
  /**
   * Exports the project in `request.format`. The desktop app shows a save dialog and writes
   * the file atomically (null when the user cancels); web mode returns the bytes to download.
   */
  exportProject(request: ExportRequest): Promise<ExportResult | null>;
  /**
   * Reads a safetensors file, checks it against the project's graph and, when it fits, makes
   * it the current weights. The desktop app shows an open dialog unless `request.base64` is
   * given (null when the user cancels); web mode needs `request.base64`.
   */
  importWeights(request: ImportWeightsRequest): Promise<ImportWeightsResult | null>;
  /**
   * Shows an open dialog (desktop app only) and opens the project together with the weights
   * file beside it (`mnist.json` with `mnist.safetensors`) when there is one; null when the user cancels.
   */
  openProjectWithWeights(): Promise<OpenedProjectWithWeights | null>;
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
  'exportProject',
  'importWeights',
  'openProjectWithWeights',
];

/** IPC channel for a method call (`invoke`), and the one channel for run events. */
export const apiChannel = (method: ApiMethod): string => `tensorloom:${method}`;
export const RUN_EVENT_CHANNEL = 'tensorloom:run-event';
