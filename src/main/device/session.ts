/**
 * One training run inside a device process. The loop runs one optimizer step per
 * event-loop turn (scheduled with setImmediate), so pause, stop and probe messages
 * are handled between any two steps. Step losses are throttled to one message per
 * `stepReportIntervalMs`, activation snapshots to one per `snapshotIntervalMs`.
 */

import type { ActivationProbe } from '../../shared/api';
import type { DeviceSettings, DeviceToMainMessage } from '../../shared/device';
import type { ProjectFile } from '../../shared/project';
import { batchCount, makeBatches, type Batch } from '../../engine/data/batches';
import type { Dataset } from '../../engine/data/dataset';
import { compileGraph, type CompiledModel } from '../../engine/graph/compile';
import { Adam } from '../../engine/optim/adam';
import type { Optimizer } from '../../engine/optim/optimizer';
import { SGD } from '../../engine/optim/sgd';
import { Rng } from '../../engine/tensor/random';
import { noGrad } from '../../engine/tensor/tensor';
import { loadDataset } from '../data/loadDataset';
import { takeSnapshot } from './snapshot';

/** Samples per forward pass when evaluating the test split; bounds memory, not results. */
const EVAL_BATCH_SIZE = 500;

type SessionState = 'ready' | 'running' | 'paused' | 'finished';

export interface EpochMetrics {
  testLoss: number;
  testAccuracy: number;
}

/** Thrown when training cannot continue; `nodeId` names the graph node when one is at fault. */
export class DeviceRunError extends Error {
  readonly nodeId: string | undefined;

  constructor(message: string, nodeId?: string) {
    super(message);
    this.name = 'DeviceRunError';
    this.nodeId = nodeId;
  }
}

export class TrainingSession {
  private state: SessionState = 'ready';
  private readonly model: CompiledModel;
  private readonly optimizer: Optimizer;
  private readonly dataset: Dataset;
  private readonly shuffleRng: Rng;
  private readonly stepsPerEpoch: number;
  private probe: ActivationProbe;

  private step = 0;
  private epoch = 0;
  private batches: Iterator<Batch> | null = null;
  private loopScheduled = false;

  private epochLossSum = 0;
  private epochSamples = 0;
  private epochTrainMs = 0;
  private lastTestAccuracy: number | null = null;

  private lastStepReportMs = 0;
  private reportSamples = 0;
  private reportTrainMs = 0;
  private lastSnapshotMs = 0;

  constructor(
    private readonly project: ProjectFile,
    private readonly settings: DeviceSettings,
    private readonly send: (message: DeviceToMainMessage) => void,
    /** Called once with the final message; the caller sends it and exits. */
    private readonly finish: (message: DeviceToMainMessage) => void,
  ) {
    const { training } = project;
    this.probe = settings.probe;
    this.dataset = loadDataset(project.dataset, training.seed);
    if (this.dataset.train.count === 0) {
      throw new DeviceRunError(`Dataset ${project.dataset.id} has no training samples: raise dataset.trainLimit or set it to 0 for all.`);
    }

    const rng = new Rng(training.seed);
    const initRng = rng.fork();
    this.shuffleRng = rng.fork();
    this.model = compileGraph(project.graph, { featureShape: this.dataset.featureShape, classCount: this.dataset.classCount }, initRng);
    this.optimizer =
      training.optimizer === 'sgd'
        ? new SGD(this.model.parameters, { learningRate: training.learningRate, momentum: training.momentum })
        : new Adam(this.model.parameters, { learningRate: training.learningRate });
    this.stepsPerEpoch = batchCount(this.dataset.train.count, training.batchSize);
  }

  readyMessage(): DeviceToMainMessage {
    let parameterCount = 0;
    for (const parameter of this.model.parameters.values()) parameterCount += parameter.numel;
    return {
      type: 'ready',
      stepsPerEpoch: this.stepsPerEpoch,
      totalSteps: this.stepsPerEpoch * this.project.training.epochs,
      parameterCount,
      trainCount: this.dataset.train.count,
      testCount: this.dataset.test.count,
    };
  }

  start(paused: boolean): void {
    if (this.state !== 'ready') return;
    this.setState(paused ? 'paused' : 'running');
    if (paused) this.guard(() => this.sendSnapshot());
  }

  pause(): void {
    if (this.state !== 'running') return;
    this.setState('paused');
    this.guard(() => this.sendSnapshot());
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.setState('running');
  }

  /** Runs one step while paused, reporting its loss and a snapshot at once. */
  stepOnce(): void {
    if (this.state !== 'paused') return;
    this.guard(() => {
      this.trainStep(true);
      if (this.state === 'paused') this.sendSnapshot();
    });
  }

  stop(): void {
    if (this.state === 'finished') return;
    this.guard(() => this.end({ type: 'done', reason: 'stopped', epochs: this.completedEpochs(), testAccuracy: this.lastTestAccuracy }));
  }

  private completedEpochs(): number {
    return this.batches === null ? this.epoch : this.epoch - 1;
  }

  setProbe(probe: ActivationProbe): void {
    this.probe = probe;
    if (this.state !== 'finished') this.guard(() => this.sendSnapshot());
  }

  /** Runs `work`; a failure ends the run with an error message naming the node where known. */
  guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      if (this.state === 'finished') return;
      this.state = 'finished';
      this.finish(errorMessage(error));
    }
  }

  private setState(state: 'running' | 'paused'): void {
    this.state = state;
    this.send({ type: 'state', state });
    if (state === 'running') this.scheduleLoop();
  }

  private scheduleLoop(): void {
    if (this.loopScheduled) return;
    this.loopScheduled = true;
    setImmediate(() => {
      this.loopScheduled = false;
      if (this.state !== 'running') return;
      this.guard(() => this.trainStep(false));
      if (this.state === 'running') this.scheduleLoop();
    });
  }

  private trainStep(reportNow: boolean): void {
    if (this.batches === null) {
      this.batches = makeBatches(this.dataset.train, this.project.training.batchSize, this.shuffleRng, this.dataset.featureShape);
      this.epoch += 1;
      this.epochLossSum = 0;
      this.epochSamples = 0;
      this.epochTrainMs = 0;
    }
    const next = this.batches.next();
    if (next.done === true) throw new Error(`Epoch ${this.epoch} ran out of batches before step ${this.step + 1}.`);
    const batch = next.value;
    const batchSize = batch.labels.length;

    const startedMs = performance.now();
    this.optimizer.zeroGrad();
    const { loss } = this.model.forward(batch.features, batch.labels, 'train');
    const lossValue = loss.item();
    if (!Number.isFinite(lossValue)) {
      throw new DeviceRunError(
        `The loss became ${lossValue} at step ${this.step + 1} (epoch ${this.epoch}). ` +
          `Lower the learning rate (now ${this.project.training.learningRate}) and start again.`,
        this.model.lossNodeId,
      );
    }
    loss.backward();
    this.optimizer.step();
    const elapsedMs = performance.now() - startedMs;

    this.step += 1;
    this.epochLossSum += lossValue * batchSize;
    this.epochSamples += batchSize;
    this.epochTrainMs += elapsedMs;
    this.reportSamples += batchSize;
    this.reportTrainMs += elapsedMs;
    this.reportStep(lossValue, reportNow);

    if (this.step % this.stepsPerEpoch === 0) this.endEpoch();
    else if (this.state === 'running') this.maybeSendSnapshot();
  }

  private reportStep(loss: number, reportNow: boolean): void {
    const now = Date.now();
    const endsEpoch = this.step % this.stepsPerEpoch === 0;
    if (!reportNow && !endsEpoch && now - this.lastStepReportMs < this.settings.stepReportIntervalMs) return;
    this.lastStepReportMs = now;
    const samplesPerSecond = this.reportTrainMs > 0 ? (this.reportSamples * 1000) / this.reportTrainMs : 0;
    this.send({ type: 'step', step: this.step, epoch: this.epoch, loss, samplesPerSecond });
    this.reportSamples = 0;
    this.reportTrainMs = 0;
  }

  private endEpoch(): void {
    const evalStartedMs = performance.now();
    const { testLoss, testAccuracy } = this.evaluate();
    const evalMs = performance.now() - evalStartedMs;
    this.lastTestAccuracy = testAccuracy;
    this.batches = null;

    this.send({
      type: 'epoch',
      epoch: this.epoch,
      trainLoss: this.epochLossSum / this.epochSamples,
      testLoss,
      testAccuracy,
      samplesPerSecond: this.epochTrainMs > 0 ? (this.epochSamples * 1000) / this.epochTrainMs : 0,
      durationMs: this.epochTrainMs + evalMs,
    });

    if (this.epoch >= this.project.training.epochs) {
      this.end({ type: 'done', reason: 'completed', epochs: this.epoch, testAccuracy });
      return;
    }
    this.maybeSendSnapshot();
  }

  /** Evaluates the whole test split in eval mode, without recording ops. */
  evaluate(): EpochMetrics {
    const { test } = this.dataset;
    if (test.count === 0) return { testLoss: 0, testAccuracy: 0 };
    let lossSum = 0;
    let correct = 0;
    noGrad(() => {
      for (const batch of makeBatches(test, EVAL_BATCH_SIZE, null, this.dataset.featureShape)) {
        const { loss, prediction } = this.model.forward(batch.features, batch.labels, 'eval');
        lossSum += loss.item() * batch.labels.length;
        correct += countCorrect(prediction.data, prediction.shape[1], batch.labels);
      }
    });
    return { testLoss: lossSum / test.count, testAccuracy: correct / test.count };
  }

  private maybeSendSnapshot(): void {
    const now = Date.now();
    if (now - this.lastSnapshotMs < this.settings.snapshotIntervalMs) return;
    this.sendSnapshot();
  }

  private sendSnapshot(): void {
    this.lastSnapshotMs = Date.now();
    const snapshot = takeSnapshot(this.model, this.project.graph, this.dataset, this.probe);
    if (snapshot !== null) this.send({ type: 'activations', step: this.step, snapshot });
  }

  private end(message: DeviceToMainMessage): void {
    this.sendSnapshot();
    this.state = 'finished';
    this.finish(message);
  }
}

/** Counts rows of `scores` ([B, classCount], row-major) whose largest entry is at the label. */
export function countCorrect(scores: Float32Array, classCount: number, labels: Int32Array): number {
  let correct = 0;
  for (let row = 0; row < labels.length; row++) {
    let best = 0;
    for (let column = 1; column < classCount; column++) {
      if (scores[row * classCount + column] > scores[row * classCount + best]) best = column;
    }
    if (best === labels[row]) correct += 1;
  }
  return correct;
}

/** Turns a caught error into the device's error message, with the node id where the error names one. */
export function errorMessage(error: unknown): Extract<DeviceToMainMessage, { type: 'error' }> {
  const message = error instanceof Error ? error.message : String(error);
  const nodeId = nodeIdOf(error);
  return nodeId === undefined ? { type: 'error', message } : { type: 'error', message, nodeId };
}

function nodeIdOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { nodeId, issues } = error as { nodeId?: unknown; issues?: unknown };
  if (typeof nodeId === 'string') return nodeId;
  if (Array.isArray(issues)) {
    const located = issues.find((issue: { nodeId?: unknown }) => typeof issue?.nodeId === 'string') as { nodeId: string } | undefined;
    return located?.nodeId;
  }
  return undefined;
}
