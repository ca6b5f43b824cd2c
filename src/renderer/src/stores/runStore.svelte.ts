/**
 * The renderer's view of a training run. Training itself happens in the device
 * processes: this store sends the commands and keeps what the run events report,
 * the progress, the metric series for the charts, errors and the latest
 * activation snapshot of each probed node.
 */

import type { ActivationSnapshot, AttentionSnapshot, RunEvent, RunOptions, RunState, RunStatus, TensorloomApi } from '../../../shared/api';
import type { ProjectFile, ProjectIssue } from '../../../shared/project';
import { SvelteMap } from 'svelte/reactivity';
import { defineContext } from '../lib/context';

/** One chart point: `[global step, value]`. */
export type MetricPoint = [number, number];

/**
 * The metric series of one run. The arrays live outside `$state`, so appending a
 * point costs nothing reactive. `version` changes once per append, and the chart
 * redraws on the next animation frame.
 */
export class MetricSeries {
  stepLoss: MetricPoint[] = [];
  trainLoss: MetricPoint[] = [];
  testLoss: MetricPoint[] = [];
  /** Test accuracy in percent. */
  testAccuracy: MetricPoint[] = [];
  /**
   * Entropy of the training text's token frequencies in nats per token, which is the
   * loss of a model that ignores context. Language models only, null for classification.
   */
  unigramEntropyNats: number | null = null;
  version = $state(0);

  clear(): void {
    this.stepLoss = [];
    this.trainLoss = [];
    this.testLoss = [];
    this.testAccuracy = [];
    this.unigramEntropyNats = null;
    this.version += 1;
  }

  get pointCount(): number {
    return this.stepLoss.length + this.trainLoss.length + this.testLoss.length + this.testAccuracy.length;
  }
}

/** An activation snapshot and the global step it was taken after. */
export interface ReportedSnapshot {
  step: number;
  snapshot: ActivationSnapshot;
}

/** Attention weights of every attention node for the probed text, and the global step they were taken after. */
export interface ReportedAttention {
  step: number;
  snapshot: AttentionSnapshot;
}

export interface RunError {
  message: string;
  nodeId?: string;
  issues?: ProjectIssue[];
}

export interface RunProgress {
  epoch: number;
  step: number;
  totalSteps: number;
  stepsPerEpoch: number;
  samplesPerSecond: number;
  /** Language models only: training tokens per second at the last report, or null. */
  tokensPerSecond: number | null;
  lastLoss: number | null;
}

const EMPTY_PROGRESS: RunProgress = {
  epoch: 0,
  step: 0,
  totalSteps: 0,
  stepsPerEpoch: 0,
  samplesPerSecond: 0,
  tokensPerSecond: null,
  lastLoss: null,
};

export function snapshotKey(nodeId: string, sampleIndex: number): string {
  return `${nodeId}#${sampleIndex}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class RunStore {
  state = $state<RunState>('idle');
  runId = $state<string | null>(null);
  progress = $state.raw<RunProgress>(EMPTY_PROGRESS);
  /** Test accuracy in [0, 1] after the last finished epoch, or null before one. */
  testAccuracy = $state<number | null>(null);
  error = $state.raw<RunError | null>(null);
  finishedReason = $state<'completed' | 'stopped' | null>(null);
  /**
   * Latest snapshot of each node and sample probed during this run, keyed by
   * `snapshotKey`, so a node probed earlier still shows after the run ends.
   */
  readonly snapshots = new SvelteMap<string, ReportedSnapshot>();
  /** Latest attention weights of a language model run, kept after the run ends like the snapshots. */
  attention = $state.raw<ReportedAttention | null>(null);
  /** Path of the last checkpoint the run wrote, or null before one. */
  checkpointPath = $state<string | null>(null);
  /** True once an epoch reported a unigram entropy, so the run trains a language model. */
  isLanguageModel = $state(false);
  /** True while a command is on its way, so its button cannot be pressed twice. */
  busy = $state(false);
  readonly metrics = new MetricSeries();

  readonly #api: TensorloomApi;

  constructor(api: TensorloomApi) {
    this.#api = api;
  }

  /** Subscribes to run events and reads the current status; returns the unsubscribe function. */
  connect(): () => void {
    const unsubscribe = this.#api.onDidRunEvent((event) => this.handleEvent(event));
    this.#api.getRunStatus().then(
      (status) => this.#applyStatus(status),
      () => undefined,
    );
    return unsubscribe;
  }

  /** Starts a run; `options.resume` starts from the project's saved weights (last checkpoint or imported weights). */
  start(project: ProjectFile, options: RunOptions = {}): Promise<void> {
    this.#beginRun();
    return this.#command(() => this.#api.startRun(project, options));
  }

  step(project: ProjectFile, options: RunOptions = {}): Promise<void> {
    if (this.state === 'idle') this.#beginRun();
    return this.#command(() => this.#api.stepRun(project, options));
  }

  pause(): Promise<void> {
    return this.#command(() => this.#api.pauseRun());
  }

  resume(): Promise<void> {
    return this.#command(() => this.#api.resumeRun());
  }

  stop(): Promise<void> {
    return this.#command(() => this.#api.stopRun());
  }

  dismissError(): void {
    this.error = null;
  }

  handleEvent(event: RunEvent): void {
    if (event.runId !== null && this.runId !== null && event.runId !== this.runId && event.kind !== 'started') return;

    switch (event.kind) {
      case 'started':
        if (event.runId !== this.runId) this.#resetRunData();
        this.runId = event.runId;
        this.progress = { ...EMPTY_PROGRESS, totalSteps: event.totalSteps, stepsPerEpoch: event.stepsPerEpoch };
        break;
      case 'step':
        this.progress = {
          ...this.progress,
          step: event.step,
          epoch: event.epoch,
          samplesPerSecond: event.samplesPerSecond,
          tokensPerSecond: event.tokensPerSecond ?? this.progress.tokensPerSecond,
          lastLoss: event.loss,
        };
        this.metrics.stepLoss.push([event.step, event.loss]);
        this.metrics.version += 1;
        break;
      case 'epoch': {
        // A page opened during a run missed its `started` event and so the steps per epoch.
        const { stepsPerEpoch, step } = this.progress;
        const epochEndStep = stepsPerEpoch > 0 ? event.epoch * stepsPerEpoch : step;
        this.metrics.trainLoss.push([epochEndStep, event.trainLoss]);
        this.metrics.testLoss.push([epochEndStep, event.testLoss]);
        this.metrics.testAccuracy.push([epochEndStep, event.testAccuracy * 100]);
        if (event.unigramEntropyNats !== undefined) {
          this.metrics.unigramEntropyNats = event.unigramEntropyNats;
          this.isLanguageModel = true;
        }
        this.metrics.version += 1;
        this.testAccuracy = event.testAccuracy;
        this.progress = {
          ...this.progress,
          epoch: event.epoch,
          samplesPerSecond: event.samplesPerSecond,
          tokensPerSecond: event.tokensPerSecond ?? null,
        };
        break;
      }
      case 'attention':
        this.attention = { step: event.step, snapshot: event.snapshot };
        break;
      case 'checkpoint':
        this.checkpointPath = event.path;
        break;
      case 'activations':
        this.snapshots.set(snapshotKey(event.snapshot.nodeId, event.snapshot.sampleIndex), {
          step: event.step,
          snapshot: event.snapshot,
        });
        break;
      case 'state':
        this.state = event.state;
        break;
      case 'generation':
        // The generation store follows these tokens.
        break;
      case 'done':
        this.state = 'idle';
        this.finishedReason = event.reason;
        if (event.testAccuracy !== null) this.testAccuracy = event.testAccuracy;
        break;
      case 'error':
        this.error = { message: event.message, nodeId: event.nodeId, issues: event.issues };
        break;
    }
  }

  #beginRun(): void {
    this.#resetRunData();
    this.runId = null;
  }

  #resetRunData(): void {
    this.metrics.clear();
    this.snapshots.clear();
    this.attention = null;
    this.checkpointPath = null;
    this.isLanguageModel = false;
    this.progress = EMPTY_PROGRESS;
    this.testAccuracy = null;
    this.error = null;
    this.finishedReason = null;
  }

  #applyStatus(status: RunStatus): void {
    this.state = status.state;
    if (status.runId !== null) this.runId = status.runId;
  }

  async #command(send: () => Promise<RunStatus>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      this.#applyStatus(await send());
    } catch (error) {
      // An error event for the same failure may have arrived first with the node and issues; keep it.
      if (this.error === null) this.error = { message: errorMessage(error) };
    } finally {
      this.busy = false;
    }
  }
}

export const runContext = defineContext<RunStore>('RunStore');
