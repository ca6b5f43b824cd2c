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

/** Node and test sample whose activations the device process reports. */
export interface ActivationProbe {
  nodeId: string | null;
  sampleIndex: number;
  /**
   * For a language model: the text whose attention weights and activations are shown, cut to
   * the context length. Absent or null means the start of the validation text.
   */
  text?: string | null;
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

/** Output of one node for one sample, computed in the device process. */
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

/**
 * Attention weights of every attention node of a language model for one input text, computed in
 * the device process after the last training step. `tokens[i]` is the decoded token at position i,
 * which labels both row i (the query) and column i (the key) of every head's weights.
 */
export interface AttentionSnapshot {
  tokens: string[];
  /** One entry per attention node (head, multi-head attention or transformer block), in forward order. */
  layers: AttentionLayerSnapshot[];
}

export interface AttentionLayerSnapshot {
  nodeId: string;
  nodeType: string;
  /** One T×T matrix per head, row-major: `heads[h][i * T + j]` is how much query position i attends to key position j. Rows sum to 1. */
  heads: number[][];
}

/** A request to continue a prompt with the current or last model of a language model run. */
export interface GenerationRequest {
  prompt: string;
  /** Divides the logits before sampling; 0 is greedy (always the most likely token). */
  temperature: number;
  /** Samples among the k most likely tokens only; absent means all. */
  topK?: number;
  /** Number of tokens to add, 1 to 2000. */
  maxTokens: number;
  /** Seed of the sampling, so the same request gives the same text. Default 0. */
  seed?: number;
}

/** One candidate next token and its probability under the model at temperature 1 (top-k not applied). */
export interface TokenProbability {
  tokenId: number;
  /** Decoded token text. */
  token: string;
  probability: number;
}

export interface GenerationResult {
  requestId: string;
  prompt: string;
  /** The new text only, without the prompt. */
  generated: string;
  tokenCount: number;
}

/** Options of `startRun`. */
export interface RunOptions {
  /** Loads the last checkpoint of this project before training, checking tensor names, shapes and the vocabulary. */
  resume?: boolean;
  /**
   * Devices to train on. With a DeviceMesh node it must equal the mesh's data × tensor size,
   * or the run is rejected. Without one, more than 1 trains data parallel over that many
   * devices. Absent follows the DeviceMesh node, or one device without it.
   */
  deviceCount?: number;
  /** Parallel runs: the link of the step cost estimates in `parallel-step` events. Default NVLink. */
  link?: LinkSettings;
}

export type RunEvent =
  | { kind: 'started'; runId: string; totalSteps: number; stepsPerEpoch: number }
  /** `tokensPerSecond` is present for language models, where `samplesPerSecond` counts windows. */
  | { kind: 'step'; runId: string; step: number; epoch: number; loss: number; samplesPerSecond: number; tokensPerSecond?: number }
  | {
      kind: 'epoch';
      runId: string;
      epoch: number;
      trainLoss: number;
      testLoss: number;
      testAccuracy: number;
      samplesPerSecond: number;
      durationMs: number;
      /**
       * Language models only: the entropy of the training text's token frequencies, which is the
       * loss of a model that ignores context. `trainLoss` and `testLoss` are then next-token losses
       * in nats per token on training and validation windows. `testAccuracy` is the share of
       * positions whose most likely next token is right.
       */
      unigramEntropyNats?: number;
      /** Language models only: training tokens per second (`samplesPerSecond` counts windows). */
      tokensPerSecond?: number;
    }
  | { kind: 'activations'; runId: string; step: number; snapshot: ActivationSnapshot }
  /** Language models only, throttled like activations, and once more at the end of the run. */
  | { kind: 'attention'; runId: string; step: number; snapshot: AttentionSnapshot }
  /** One generated token of `generateText`, with the distribution it was drawn from (the 20 most likely tokens). */
  | { kind: 'generation'; runId: string; requestId: string; index: number; tokenId: number; token: string; candidates: TokenProbability[] }
  /** The device wrote a checkpoint of the model's parameters. */
  | { kind: 'checkpoint'; runId: string; path: string; epoch: number; step: number }
  | { kind: 'state'; runId: string; state: RunState }
  | { kind: 'done'; runId: string; reason: 'completed' | 'stopped'; epochs: number; testAccuracy: number | null }
  | { kind: 'error'; runId: string | null; message: string; nodeId?: string; issues?: ProjectIssue[] }
  /** The plan a parallel run uses, once its device processes are connected. */
  | { kind: 'parallel-started'; runId: string; plan: ParallelPlanSummary; devicePids: number[] }
  /** One device's step report of a parallel run (throttled; see `ParallelStepReport`). */
  | { kind: 'parallel-step'; runId: string; report: ParallelStepReport };

export type Unsubscribe = () => void;

/** Collective kinds a device calls under a parallel plan. */
export type ParallelCollectiveKind = 'all-reduce' | 'all-gather' | 'reduce-scatter' | 'broadcast';

/** Calls and payload bytes of one collective kind in one step on one device. */
export interface CollectiveCount {
  calls: number;
  bytesSent: number;
  bytesReceived: number;
}

/** One span of a device's step: measured compute, or a collective (measured, or estimated for a link). */
export interface ParallelTimelineSpan {
  kind: 'compute' | 'communication';
  /** The step phase (`forward`, `backward`, `gradient-sync`, `optimizer`) of a compute span, the collective kind and group of a communication span. */
  label: string;
  /** Milliseconds from the start of the step. */
  startMs: number;
  endMs: number;
}

/** One collective call of a step on one device. */
export interface CollectiveCall {
  /** Step phase: `forward`, `backward`, `gradient-sync` or `optimizer`. */
  phase: string;
  kind: ParallelCollectiveKind;
  /** Process group, such as `tensor[data=0]` or `data[tensor=1]`. */
  groupName: string;
  groupSize: number;
  /** Bytes of the tensor passed in: the full buffer for all-reduce and reduce-scatter, the shard for all-gather. */
  inputBytes: number;
  bytesSent: number;
  bytesReceived: number;
  /** Milliseconds from the start of the step. */
  startMs: number;
  endMs: number;
}

/** Bytes one device holds for training under a parallel plan. */
export interface DeviceMemoryReport {
  parameterBytes: number;
  gradientBytes: number;
  optimizerStateBytes: number;
  /** Bytes of the intermediate tensors the last step's backward pass kept. */
  activationBytes: number;
}

/** A link between devices for the cost estimate: one of the presets or the user's numbers. */
export interface LinkSettings {
  /** `nvlink`, `pcie4x16` and `ethernet100g` are presets, `custom` takes the numbers below. */
  preset: 'nvlink' | 'pcie4x16' | 'ethernet100g' | 'custom';
  /** Overrides the preset's bandwidth, in bytes per second; required for `custom`. */
  bandwidthBytesPerSecond?: number;
  /** Overrides the preset's latency, in milliseconds; required for `custom`. */
  latencyMs?: number;
}

/** The estimated time of one step on a link: measured compute plus modelled communication. */
export interface StepCostEstimate {
  linkName: string;
  bandwidthBytesPerSecond: number;
  latencyMs: number;
  computeMs: number;
  communicationMs: number;
  stepMs: number;
  timeline: ParallelTimelineSpan[];
}

/**
 * One device's report of one training step under a parallel plan. Devices report
 * throttled (at most one report per device per step-report interval), and always the
 * first step, so the counts of a plan are visible at once.
 */
export interface ParallelStepReport {
  step: number;
  /** World rank of the device, `dataIndex * tensorParallel + tensorIndex`. */
  deviceIndex: number;
  dataIndex: number;
  tensorIndex: number;
  /** Collective calls and bytes of the step by kind. */
  collectives: Record<ParallelCollectiveKind, CollectiveCount>;
  /** The same per step phase (`forward`, `backward`, `gradient-sync`, `optimizer`), then by kind. */
  collectivesByPhase: Record<string, Record<ParallelCollectiveKind, CollectiveCount>>;
  memory: DeviceMemoryReport;
  /** Measured spans of the step on this machine, where every device is a process on the same CPU. */
  timeline: ParallelTimelineSpan[];
  /**
   * Every collective of the step in call order, so a cost estimate for another link can be
   * computed without a new run (`estimateReportedStep` in src/engine/parallel/reportEstimate.ts).
   */
  collectiveCalls: CollectiveCall[];
  computeMs: number;
  communicationMs: number;
  /** Estimate for the link of the run's `link` setting (NVLink unless set). */
  estimate: StepCostEstimate;
}

/** The parallel plan of a project, as the devices run it. */
export interface ParallelPlanSummary {
  dataParallel: number;
  tensorParallel: number;
  sequenceParallel: boolean;
  /** Layer names in the tensor-parallel group (node ids for an MLP, `blocks.0.attn`-style names for a transformer). */
  tensorGroup: string[];
  /** Resolved sharding of every layer in the tensor group. */
  sharding: Record<string, 'column' | 'row' | 'heads' | 'replicated'>;
}

/** The largest difference of one parameter between one device and the plan. */
export interface ParameterCheck {
  name: string;
  maxAbsolute: number;
  /** maxAbsolute divided by the largest magnitude of the one-device tensor (at least 1e-6). */
  relative: number;
}

/**
 * The result of `checkParallel`: the same seed and batches run k steps on one device
 * process and on the plan's device processes, then the losses and the gathered
 * parameters are compared by name.
 */
export interface ParallelCheckResult {
  kind: 'parallel-check';
  plan: ParallelPlanSummary;
  steps: number;
  oneDeviceLosses: number[];
  planLosses: number[];
  maxLossAbsolute: number;
  maxLossRelative: number;
  parameters: ParameterCheck[];
  maxParameterAbsolute: number;
  maxParameterRelative: number;
  /** Each device's report of every step, by step and then device index. */
  stepReports: ParallelStepReport[][];
  /** Process ids of the plan's devices, by device index. */
  devicePids: number[];
  durationMs: number;
}

/** Options of `checkParallel`. */
export interface ParallelCheckOptions {
  /** Steps to run, 1 to 1000. */
  steps: number;
  /** Device count; defaults to the DeviceMesh node's data × tensor size. */
  deviceCount?: number;
  link?: LinkSettings;
}

/** File formats a project exports to: the project JSON, its weights, an ONNX model or PyTorch code. */
export type ExportFormat = 'config' | 'safetensors' | 'onnx' | 'pytorch';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['config', 'safetensors', 'onnx', 'pytorch'];

/**
 * Source of the weights in an export:
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
  startRun(project: ProjectFile, options?: RunOptions): Promise<RunStatus>;
  pauseRun(): Promise<RunStatus>;
  resumeRun(): Promise<RunStatus>;
  /** Runs one optimizer step while paused (starting paused if idle, with `options` as for startRun). */
  stepRun(project: ProjectFile, options?: RunOptions): Promise<RunStatus>;
  stopRun(): Promise<RunStatus>;
  getRunStatus(): Promise<RunStatus>;
  setActivationProbe(probe: ActivationProbe): Promise<void>;
  onDidRunEvent(listener: (event: RunEvent) => void): Unsubscribe;
  /**
   * Continues `request.prompt` with the model of the current run, or of the last run after it
   * ended (its device stays up until the next run starts). Streams each token as a `generation`
   * run event and resolves with the whole text. Rejects naming the problem, such as a prompt
   * character outside the vocabulary, or no language model run.
   */
  generateText(request: GenerationRequest): Promise<GenerationResult>;
  /** Returns the path of the checkpoint the last run wrote, or null when there is none. */
  getCheckpointPath(): Promise<string | null>;
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
   * file beside it (`mnist.json` with `mnist.safetensors`) when there is one. Returns null when
   * the user cancels.
   */
  openProjectWithWeights(): Promise<OpenedProjectWithWeights | null>;
  /**
   * Runs `options.steps` training steps of `project` from its seed on one device process
   * and under its parallel plan on real device processes. Returns the largest differences
   * of the loss and of every parameter, with each device's collective counts per step.
   * Without a DeviceMesh node, `options.deviceCount` devices run data parallel.
   * Rejects with the plan's issues when the plan cannot run, and when a run is active.
   */
  checkParallel(project: ProjectFile, options: ParallelCheckOptions): Promise<ParallelCheckResult>;
  /** Shows an open dialog for a UTF-8 text file to train on (desktop app only); null when the user cancels. */
  openTextFileDialog(): Promise<string | null>;
  /**
   * Stores an uploaded text file (web mode) in the data folder after checking that it is
   * non-empty UTF-8 text, and returns the path to put in `dataset.path`.
   */
  uploadTextDataset(fileName: string, contentBase64: string): Promise<UploadedTextDataset>;
}

export interface UploadedTextDataset {
  /** Absolute path of the stored copy, for `dataset.path`. */
  path: string;
  characterCount: number;
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
  'generateText',
  'getCheckpointPath',
  'checkParallel',
  'openTextFileDialog',
  'uploadTextDataset',
];

/** IPC channel for a method call (`invoke`), and the one channel for run events. */
export const apiChannel = (method: ApiMethod): string => `tensorloom:${method}`;
export const RUN_EVENT_CHANNEL = 'tensorloom:run-event';
